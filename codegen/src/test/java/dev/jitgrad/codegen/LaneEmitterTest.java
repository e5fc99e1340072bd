package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The lane emitter alone: lane kernels against the per-row kernel of the same program. */
class LaneEmitterTest {
  /** Stages 1 to 5 on {@code m}'s loss: its gradient program, params only. */
  private static Program gradient(LoopFormsTest.Graph m) {
    return m.programs(JitOptions.defaults()).get(1);
  }

  @Test
  void emit_mnistSizedLayer_everyLaneMethodVerifiesAndStaysUnderHugeMethodLimit() {
    Program p = gradient(LoopFormsTest.Graph.mlp(new SplittableRandom(11), 0, 784, 16, 10));

    LaneEmitter.Code rolled = LaneEmitter.emit(p, new Layout(p));
    LaneEmitter.Code straight = LaneEmitter.emit(p, new Layout(p), Integer.MAX_VALUE);

    int chunks = 0;
    for (LaneEmitter.Code code : List.of(rolled, straight)) {
      for (byte[] c : code.classes()) {
        chunks += CompiledGraphTest.assertVerifiesUnderHugeMethodLimit(c);
      }
    }
    assertTrue(chunks > 100, "chunks: " + chunks);
    assertTrue(Disassembly.text(rolled.classes()).contains("IF_ICMPLT"));
  }

  @Test
  void valueAndGradBatch_rolledMnistSizedLayer_onLanesEqualsBlockwiseSingleCalls() {
    assertRolledLayerEqualsBlockwiseSingleCalls(JitOptions.defaults());
  }

  /**
   * Exact mode on the same layer, whose neurons' chains and weight-gradient updates lane code rolls
   * into one loop each: batches with NaN, ±Inf and -0.0 in their rows ({@link LaneBatchTest#data})
   * are the per-row calls' to the bit.
   */
  @Test
  void valueAndGradBatch_rolledMnistSizedLayerExact_nonFiniteRowsEqualBlockwiseSingleCalls() {
    assertRolledLayerEqualsBlockwiseSingleCalls(JitOptions.defaults().withExact(true));
  }

  private static void assertRolledLayerEqualsBlockwiseSingleCalls(JitOptions options) {
    int features = 784;
    int classes = 10;
    LoopFormsTest.Graph m =
        LoopFormsTest.Graph.mlp(new SplittableRandom(11), 0, features, 16, classes);
    CompiledGraph g = Jit.compile(List.of(m.loss()), m.inputs(), m.params(), options);
    SplittableRandom random = new SplittableRandom(19);
    double[] p = random.doubles(m.params().size(), -0.5, 0.5).toArray();
    int width = features + classes;
    for (int rows : new int[] {1, 15, 16, 17, 1000, LaneBatchTest.parallelRows(g)}) {
      double[] data = LaneBatchTest.data(random, rows, width);
      for (int r = 0; r < rows; r++) {
        System.arraycopy(m.sample(random, classes), features, data, r * width + features, classes);
      }
      double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
      double[] grad = new double[p.length];
      double[] outputs = new double[rows];

      double sum = g.valueAndGradBatch(data, rows, p, grad);
      g.forwardBatch(data, rows, p, outputs);

      assertTrue(g.hasBatchLanes(), "the rolled gradient program runs on lanes");
      Oracle.assertBitIdentical(
          expected, Oracle.concat(sum, new double[0], grad), rows + " rows, batch");
      for (int r = 0; r < rows; r++) {
        double[] x = Arrays.copyOfRange(data, r * width, (r + 1) * width);
        assertEquals(g.forward(x, p), outputs[r], rows + " rows, row " + r);
      }
    }
  }
}
