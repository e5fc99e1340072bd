package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.MLP;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The plain lane form's updates that leave out rows adding only ±0 ({@link
 * LaneUpdates#skippingUpdate}): checked bit for bit against per-row calls summed by block.
 */
class LaneSkipTest {
  /**
   * A 40-24-24-3 MLP with a softmax cross-entropy loss: ReLU layers over inputs and hidden values.
   */
  private static final int[] SIZES = {64, 32, 32, 3};

  /** The MLP's loss with its inputs (features, then one-hot labels) and parameters. */
  private record Model(Value loss, List<Value> inputs, List<Value> params) {}

  private static Model model() {
    MLP mlp = CodeDigests.model(SIZES);
    List<Value> inputs = new ArrayList<>();
    for (int i = 0; i < SIZES[0] + SIZES[SIZES.length - 1]; i++) {
      inputs.add(Value.of(0));
    }
    Value loss =
        CodeDigests.loss(
            mlp.apply(inputs.subList(0, SIZES[0])), inputs.subList(SIZES[0], inputs.size()));
    return new Model(loss, inputs, mlp.parameters());
  }

  private static CompiledGraph compile(boolean exact) {
    Model m = model();
    return Jit.compile(
        List.of(m.loss()), m.inputs(), m.params(), JitOptions.defaults().withExact(exact));
  }

  private static double[] params(CompiledGraph g) {
    return new SplittableRandom(7).doubles(g.paramCount(), -0.5, 0.5).toArray();
  }

  @Test
  void emit_reluLayers_writeSkippingUpdates() {
    assumeFalse(LaneVectors.ON, "the Vector API form keeps its row blocks");
    Model m = model();
    Program p =
        new LoopFormsTest.Graph(m.loss(), m.inputs(), m.params())
            .programs(JitOptions.defaults())
            .get(1);

    String text = Disassembly.text(LaneEmitter.emit(p, new Layout(p)).classes());

    assertTrue(
        text.contains("IINC 5 " + LaneUpdates.SKIP_ROWS + "\n") && text.contains("D2I"),
        "a pass over listed rows");
  }

  @Test
  void valueAndGradBatch_deadRows_matchRowByRowBitForBit() {
    for (boolean exact : new boolean[] {false, true}) {
      CompiledGraph g = compile(exact);
      double[] p = params(g);
      for (int rows : new int[] {8, 16, 17, 40}) {
        double[] data = new SplittableRandom(rows).doubles(rows * g.inputCount(), -1, 1).toArray();
        double[] grad = new double[p.length];

        double sum = g.valueAndGradBatch(data, rows, p, grad);

        Oracle.assertBitIdentical(
            Oracle.blockwiseSingleCalls(g, data, rows, p),
            Oracle.concat(sum, new double[0], grad),
            (exact ? "exact, " : "default, ") + rows + " rows");
      }
    }
  }

  /**
   * Every ReLU alive (positive weights and inputs): each block lists all its rows and runs the row
   * blocks over every row instead, with 8 to 13 of 16 rows alive on the way there.
   */
  @Test
  void valueAndGradBatch_mostRowsAlive_matchRowByRowBitForBit() {
    CompiledGraph g = compile(false);
    double[] p = params(g);
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.abs(p[i]) * 0.1;
    }
    for (int alive = 8; alive <= 16; alive++) {
      int rows = 16;
      double[] data = new SplittableRandom(alive).doubles(rows * g.inputCount(), 0, 1).toArray();
      for (int r = alive; r < rows; r++) {
        for (int x = 0; x < SIZES[0]; x++) {
          data[r * g.inputCount() + x] = -data[r * g.inputCount() + x];
        }
      }
      double[] grad = new double[p.length];

      double sum = g.valueAndGradBatch(data, rows, p, grad);

      Oracle.assertBitIdentical(
          Oracle.blockwiseSingleCalls(g, data, rows, p),
          Oracle.concat(sum, new double[0], grad),
          alive + " of 16 rows alive");
    }
  }

  /**
   * An infinite input in a row whose first-layer neurons are all dead (every weight on that input
   * negative): their adjoints are 0 while the rest of the row stays finite, and 0·∞ is NaN in those
   * weights' gradients, which the skipping update must keep.
   */
  @Test
  void valueAndGradBatch_infiniteInputInDeadRow_keepsNaN() {
    CompiledGraph g = compile(false);
    double[] p = params(g);
    for (int j = 0; j < SIZES[1]; j++) {
      p[j * (SIZES[0] + 1) + 7] = -1.0;
    }
    int rows = 16;
    double[] data = new SplittableRandom(3).doubles(rows * g.inputCount(), -1, 1).toArray();
    data[5 * g.inputCount() + 7] = Double.POSITIVE_INFINITY;
    double[] grad = new double[p.length];

    double sum = g.valueAndGradBatch(data, rows, p, grad);

    Oracle.assertBitIdentical(
        Oracle.blockwiseSingleCalls(g, data, rows, p),
        Oracle.concat(sum, new double[0], grad),
        "one ∞ input");
    for (int j = 0; j < SIZES[1]; j++) {
      assertTrue(Double.isNaN(grad[j * (SIZES[0] + 1) + 7]), "0·∞ in weight " + j + ", 7");
      assertTrue(Double.isFinite(grad[j * (SIZES[0] + 1) + 8]), "weight " + j + ", 8 finite");
    }
    assertTrue(Double.isFinite(sum), "the loss stays finite");
  }
}
