package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The lane emitter alone: lane kernels against the per-row kernel of the same program. */
class LaneEmitterTest {
  /** Stages 1 to 5 on {@code m}'s graph: its gradient program (params only) or forward program. */
  private static Program program(
      StructuredGraphProperties.Mixed m, boolean gradient, boolean exact) {
    JitOptions options = JitOptions.defaults().withExact(exact);
    Program traced = Tracer.trace(List.of(m.output), m.inputs, m.params);
    Program differentiable =
        Compiler.run(Passes.beforeReverse(options), Lowering.expandNary(traced));
    return gradient
        ? Compiler.gradientProgram(differentiable, false, options)
        : Compiler.forwardProgram(differentiable, options);
  }

  /**
   * Runs {@code p} row after row on its per-row kernel, gradients added into one array from zero:
   * {output 0 of each row..., gradient...}.
   */
  private static double[] rowByRow(Program p, double[] data, int rows, double[] params) {
    Kernel kernel = Emitter.load(Emitter.emit(p, new Layout(p)));
    double[] ws = new double[kernel.workspaceSize()];
    double[] pg = new double[params.length];
    double[] out = new double[rows + pg.length];
    for (int r = 0; r < rows; r++) {
      double[] row = Arrays.copyOfRange(data, r * p.inputCount, (r + 1) * p.inputCount);
      kernel.run(row, params, pg, null, ws);
      out[r] = ws[0];
    }
    System.arraycopy(pg, 0, out, rows, pg.length);
    return out;
  }

  /** The same from one call of {@code lanes} on a block of {@code rows}. */
  private static double[] lanes(LaneKernel lanes, double[] data, int rows, double[] params) {
    double[] array = new double[lanes.arraySize()];
    Arrays.fill(array, Double.NaN); // what a previous block may leave: must not reach a result
    double[] pg = new double[params.length];
    lanes.gather(data, 0, rows, array);
    lanes.run(array, params, pg, rows);
    double[] out = new double[rows + pg.length];
    for (int r = 0; r < rows; r++) {
      out[r] = array[lanes.output(0) + r];
    }
    System.arraycopy(pg, 0, out, rows, pg.length);
    return out;
  }

  @Test
  void emit_mixedGraphsRolledOrNot_equalRowByRowKernelToTheBit() {
    SplittableRandom random = new SplittableRandom(41);
    for (int t = 0; t < 12; t++) {
      StructuredGraphProperties.Mixed m = new StructuredGraphProperties.Mixed(random);
      boolean exact = t % 2 == 1;
      for (boolean gradient : new boolean[] {true, false}) {
        Program p = program(m, gradient, exact);
        double[] params = random.doubles(m.params.size(), -2, 2).toArray();
        int rows = 1 + random.nextInt(LaneEmitter.LANES);
        double[] data = random.doubles((long) rows * p.inputCount, -2, 2).toArray();
        data[random.nextInt(data.length)] = Double.POSITIVE_INFINITY;
        double[] expected = rowByRow(p, data, rows, params);

        LaneEmitter.Code straight = LaneEmitter.emit(p, new Layout(p), Integer.MAX_VALUE);
        LaneEmitter.Code rolled = LaneEmitter.emit(p, new Layout(p), 0);

        String what = "graph " + t + (gradient ? " gradient" : " forward") + ", " + rows + " rows";
        assertNotNull(straight, what + " has lanes");
        Oracle.assertBitIdentical(
            expected, lanes(LaneEmitter.load(straight), data, rows, params), what);
        Oracle.assertBitIdentical(
            expected, lanes(LaneEmitter.load(rolled), data, rows, params), what + ", rolled");
        assertTrue(Emitter.text(rolled.classes()).contains("IF_ICMPLT"), what);
      }
    }
  }

  @Test
  void emit_paramReadByManyTerms_hasNoLanesAndBatchStillExact() {
    Value x = Value.of(0, "x");
    Value w = Value.of(0.5, "w");
    List<Value> terms = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      terms.add(x.mul(w).add(i).tanh()); // w's gradient chain: 200 terms, cut over statements
    }
    Value y = Value.sum(terms);
    CompiledGraph g = Jit.compile(y, List.of(x), List.of(w));
    double[] data = new SplittableRandom(3).doubles(40, -1, 1).toArray();
    double[] p = {0.7};
    double[] expected = Oracle.blockwiseSingleCalls(g, data, 40, p);
    double[] grad = new double[1];

    double sum = g.valueAndGradBatch(data, 40, p, grad);

    assertFalse(g.hasBatchLanes(), "a gradient chain over several statements runs row by row");
    Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), "batch");
    assertTrue(g.hasForwardLanes(), "the forward program has no gradient chain");
  }

  @Test
  void emit_inputGradientProgram_hasNoLanes() {
    StructuredGraphProperties.Mixed m =
        new StructuredGraphProperties.Mixed(new SplittableRandom(5));
    JitOptions options = JitOptions.defaults();
    Program traced = Tracer.trace(List.of(m.output), m.inputs, m.params);
    Program differentiable =
        Compiler.run(Passes.beforeReverse(options), Lowering.expandNary(traced));
    Program p = Compiler.gradientProgram(differentiable, true, options);

    LaneEmitter.Code code = LaneEmitter.emit(p, new Layout(p));

    assertNull(code);
  }

  /** Stages 1 to 5 on {@code m}'s loss: its gradient program, params only. */
  private static Program gradient(RolledCodeTest.CrossEntropy m) {
    JitOptions options = JitOptions.defaults();
    Program traced = Tracer.trace(List.of(m.loss), m.inputs, m.params);
    Program differentiable =
        Compiler.run(Passes.beforeReverse(options), Lowering.expandNary(traced));
    return Compiler.gradientProgram(differentiable, false, options);
  }

  @Test
  void emit_mnistSizedLayer_everyLaneMethodVerifiesAndStaysUnderHugeMethodLimit() {
    Program p = gradient(new RolledCodeTest.CrossEntropy(784, 16, 10));

    LaneEmitter.Code rolled = LaneEmitter.emit(p, new Layout(p));
    LaneEmitter.Code straight = LaneEmitter.emit(p, new Layout(p), Integer.MAX_VALUE);

    int chunks = 0;
    for (LaneEmitter.Code code : List.of(rolled, straight)) {
      for (byte[] c : code.classes()) {
        chunks += CompiledGraphTest.assertVerifiesUnderHugeMethodLimit(c);
      }
    }
    assertTrue(chunks > 100, "chunks: " + chunks);
    assertTrue(Emitter.text(rolled.classes()).contains("IF_ICMPLT"));
  }

  @Test
  void valueAndGradBatch_rolledMnistSizedLayer_onLanesEqualsBlockwiseSingleCalls() {
    int features = 784;
    int classes = 10;
    RolledCodeTest.CrossEntropy m = new RolledCodeTest.CrossEntropy(features, 16, classes);
    CompiledGraph g = Jit.compile(m.loss, m.inputs, m.params);
    SplittableRandom random = new SplittableRandom(19);
    double[] p = random.doubles(m.params.size(), -0.5, 0.5).toArray();
    int rows = 37;
    double[] data = new double[rows * (features + classes)];
    for (int r = 0; r < rows; r++) {
      double[] x = m.sample(random, features, classes);
      System.arraycopy(x, 0, data, r * x.length, x.length);
    }
    double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
    double[] grad = new double[p.length];
    double[] outputs = new double[rows];

    double sum = g.valueAndGradBatch(data, rows, p, grad);
    g.forwardBatch(data, rows, p, outputs);

    assertTrue(g.hasBatchLanes(), "the rolled gradient program runs on lanes");
    Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), "batch");
    for (int r = 0; r < rows; r++) {
      double[] x =
          Arrays.copyOfRange(data, r * (features + classes), (r + 1) * (features + classes));
      assertEquals(g.forward(x, p), outputs[r], "row " + r);
    }
  }
}
