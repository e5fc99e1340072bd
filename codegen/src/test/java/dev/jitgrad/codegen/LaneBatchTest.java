package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.MLP;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Batches on lane kernels through the public calls: {@code valueAndGradBatch} against per-row
 * {@code valueAndGrad} summed block by block, {@code forwardBatch} against per-row {@code forward},
 * both to the bit.
 */
class LaneBatchTest {
  private static final int[] ROWS = {1, 15, 16, 17, 1000};

  /**
   * Rows of inputs in [-2, 2], with NaN, +Inf, -Inf and -0.0 in four rows when there are enough.
   */
  static double[] data(SplittableRandom random, int rows, int inputs) {
    double[] data = random.doubles((long) rows * inputs, -2, 2).toArray();
    double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0};
    for (int i = 0; i < special.length && inputs > 0; i++) {
      int row = rows > 16 ? 3 + 7 * i : 0;
      if (row < rows && (rows > 16 || i == 0)) {
        data[row * inputs + random.nextInt(inputs)] = special[i];
      }
    }
    return data;
  }

  /** Returns a row count large enough for {@code g} to split the batch over threads. */
  static int parallelRows(CompiledGraph g) {
    int rows = 1000;
    while (!g.isParallel(rows)) {
      rows *= 2;
    }
    return rows;
  }

  /** Asserts the batch result equals per-row calls summed per block, at every row count. */
  private static void assertBatchEqualsSingleCalls(
      CompiledGraph g, SplittableRandom random, String what) {
    double[] p = random.doubles(g.paramCount(), -1, 1).toArray();
    int[] rowCounts = Arrays.copyOf(ROWS, ROWS.length + 1);
    rowCounts[ROWS.length] = parallelRows(g);
    for (int rows : rowCounts) {
      double[] data = data(random, rows, g.inputCount());
      double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
      double[] grad = new double[p.length];

      double sum = g.valueAndGradBatch(data, rows, p, grad);

      Oracle.assertBitIdentical(
          expected, Oracle.concat(sum, new double[0], grad), what + ", " + rows + " rows");
    }
  }

  /** Asserts {@code forwardBatch} writes what per-row {@code forward} gives, at every row count. */
  private static void assertForwardBatchEqualsSingleCalls(
      CompiledGraph g, SplittableRandom random, String what) {
    double[] p = random.doubles(g.paramCount(), -1, 1).toArray();
    int outputs = g.outputCount();
    for (int rows : ROWS) {
      double[] data = data(random, rows, g.inputCount());
      double[] expected = new double[rows * outputs + 1];
      expected[rows * outputs] = 42; // past the last row: left as it is
      double[] row = new double[g.inputCount()];
      double[] out = new double[outputs];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(data, r * row.length, row, 0, row.length);
        g.forward(row, p, out);
        System.arraycopy(out, 0, expected, r * outputs, outputs);
      }
      double[] actual = new double[rows * outputs + 1];
      actual[rows * outputs] = 42;

      g.forwardBatch(data, rows, p, actual);

      Oracle.assertBitIdentical(expected, actual, what + ", " + rows + " rows");
    }
  }

  @Test
  void valueAndGradBatch_mixedStructuredAndIrregularGraphs_equalsBlockwiseSingleCalls() {
    SplittableRandom random = new SplittableRandom(23);
    for (int t = 0; t < 6; t++) {
      StructuredGraphProperties.Mixed m = new StructuredGraphProperties.Mixed(random);
      boolean exact = t % 2 == 1;
      CompiledGraph g =
          Jit.compile(
              List.of(m.output), m.inputs, m.params, JitOptions.defaults().withExact(exact));

      assertTrue(g.hasBatchLanes(), "graph " + t + " runs on lanes");
      assertBatchEqualsSingleCalls(g, random, "graph " + t + (exact ? ", exact" : ""));
    }
  }

  @Test
  void valueAndGradBatch_wildRandomGraphs_equalsBlockwiseSingleCalls() {
    SplittableRandom random = new SplittableRandom(29);
    int withLanes = 0;
    for (int t = 0; t < 16; t++) {
      Oracle.RandomCase c = Oracle.RandomCase.draw(random, 6, 40);
      boolean exact = t % 2 == 1;
      CompiledGraph g =
          Jit.compile(
              List.of(c.sample().output()),
              c.inputs(),
              c.params(),
              JitOptions.defaults().withExact(exact));
      withLanes += g.hasBatchLanes() ? 1 : 0;

      assertBatchEqualsSingleCalls(g, random, "graph " + t + (exact ? ", exact" : ""));
    }
    assertTrue(withLanes >= 8, "only " + withLanes + " of 16 graphs ran on lanes");
  }

  /**
   * Asserts that {@code output}'s exact-mode batch gradient over {@code rows} rows is what the
   * interpreter's {@code backward()} adds up row by row, blocks summed in order, to the bit.
   */
  private static void assertExactBatchEqualsInterpreter(
      Value output, List<Value> inputs, List<Value> params, int rows, SplittableRandom random) {
    CompiledGraph g =
        Jit.compile(List.of(output), inputs, params, JitOptions.defaults().withExact(true));
    double[] p = random.doubles(g.paramCount(), -1, 1).toArray();
    double[] data = data(random, rows, g.inputCount());
    double[] expectedGrad = new double[p.length];
    double expectedSum = 0;
    for (int start = 0; start < rows; start += CompiledGraph.BATCH_BLOCK_ROWS) {
      double blockSum = 0;
      double[] blockGrad = new double[p.length];
      for (int r = start; r < Math.min(rows, start + CompiledGraph.BATCH_BLOCK_ROWS); r++) {
        double[] x = Arrays.copyOfRange(data, r * g.inputCount(), (r + 1) * g.inputCount());
        Values.setData(inputs, x);
        Values.setData(params, p);
        output.forward();
        Values.setGrads(inputs, new double[x.length]);
        Values.setGrads(params, blockGrad);
        output.backward(); // adds into the block's gradient, as the kernel does
        blockSum += output.data();
        blockGrad = Values.grads(params);
      }
      expectedSum += blockSum;
      for (int i = 0; i < p.length; i++) {
        expectedGrad[i] += blockGrad[i];
      }
    }
    double[] grad = new double[p.length];

    double sum = g.valueAndGradBatch(data, rows, p, grad);

    assertTrue(g.hasBatchLanes());
    Oracle.assertBitIdentical(
        Oracle.concat(expectedSum, new double[0], expectedGrad),
        Oracle.concat(sum, new double[0], grad),
        "sum and gradient, " + rows + " rows");
  }

  @Test
  void valueAndGradBatch_exactMode_equalsInterpreterRowByRow() {
    StructuredGraphProperties.Mixed m =
        new StructuredGraphProperties.Mixed(new SplittableRandom(31));

    assertExactBatchEqualsInterpreter(m.output, m.inputs, m.params, 17, new SplittableRandom(37));
  }

  @Test
  void valueAndGradBatch_exactModeMlpChains_equalsInterpreterRowByRow() {
    SplittableRandom random = new SplittableRandom(97);
    LoopFormsTest.Graph m = LoopFormsTest.Graph.mlp(random, 0, 64, 24, 10);

    for (int rows : ROWS) {
      assertExactBatchEqualsInterpreter(m.loss(), m.inputs(), m.params(), rows, random);
    }
  }

  @Test
  void valueAndGradBatch_mlpCrossEntropyChains_equalsBlockwiseSingleCalls() {
    SplittableRandom random = new SplittableRandom(79);
    LoopFormsTest.Graph m = LoopFormsTest.Graph.mlp(random, 0, 64, 24, 10);
    for (boolean exact : new boolean[] {false, true}) {
      CompiledGraph g =
          Jit.compile(
              List.of(m.loss()), m.inputs(), m.params(), JitOptions.defaults().withExact(exact));
      String what = "64-24-10" + (exact ? ", exact" : "");

      assertTrue(g.hasBatchLanes() && g.hasForwardLanes(), what);
      assertBatchEqualsSingleCalls(g, random, what);
      assertForwardBatchEqualsSingleCalls(g, random, what);
    }
  }

  @Test
  void forwardBatch_mixedAndWildGraphs_equalsSingleForwardCalls() {
    SplittableRandom random = new SplittableRandom(43);
    for (int t = 0; t < 4; t++) {
      StructuredGraphProperties.Mixed m = new StructuredGraphProperties.Mixed(random);
      CompiledGraph g =
          Jit.compile(
              List.of(m.output), m.inputs, m.params, JitOptions.defaults().withExact(t % 2 == 1));
      assertTrue(g.hasForwardLanes());
      assertForwardBatchEqualsSingleCalls(g, random, "mixed graph " + t);
    }
    for (int t = 0; t < 8; t++) {
      Oracle.RandomCase c = Oracle.RandomCase.draw(random, 6, 40);
      CompiledGraph g = Jit.compile(c.sample().output(), c.inputs(), c.params());
      assertForwardBatchEqualsSingleCalls(g, random, "wild graph " + t);
    }
  }

  @Test
  void forwardBatch_severalOutputs_writesEachRowsOutputsInOrder() {
    MLP mlp = new MLP(new SplittableRandom(47), 5, 8, 3);
    List<Value> inputs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      inputs.add(Value.of(0, "x" + i));
    }
    CompiledGraph g =
        Jit.compile(mlp.apply(inputs), inputs, mlp.parameters(), JitOptions.defaults());

    assertEquals(3, g.outputCount());
    assertForwardBatchEqualsSingleCalls(g, new SplittableRandom(53), "5-8-3 MLP");
  }

  @Test
  void forwardBatch_irInterpreter_equalsSingleForwardCalls() {
    Oracle.RandomCase c = Oracle.RandomCase.draw(new SplittableRandom(59), 6, 40);
    CompiledGraph g =
        Jit.compile(
            List.of(c.sample().output()),
            c.inputs(),
            c.params(),
            JitOptions.defaults().withBackend(JitOptions.Backend.IR_INTERPRETER));

    assertForwardBatchEqualsSingleCalls(g, new SplittableRandom(61), "interpreted");
  }

  @Test
  void readFrom_savedMixedGraph_batchesOnLanesToTheBit() throws IOException {
    StructuredGraphProperties.Mixed m =
        new StructuredGraphProperties.Mixed(new SplittableRandom(67));
    CompiledGraph saved = Jit.compile(m.output, m.inputs, m.params);

    CompiledGraph g = SavedGraphs.load(SavedGraphs.bytes(saved), JitOptions.defaults());

    assertTrue(g.hasBatchLanes() && g.hasForwardLanes(), "a loaded graph gets lane code");
    assertBatchEqualsSingleCalls(g, new SplittableRandom(71), "loaded");
    assertForwardBatchEqualsSingleCalls(g, new SplittableRandom(73), "loaded");
  }

  @Test
  void forwardBatch_badArguments_throwWithNames() {
    Value x = Value.of(1, "x");
    Value w = Value.of(1, "w");
    CompiledGraph g =
        Jit.compile(List.of(x.mul(w), x.add(w)), List.of(x), List.of(w), JitOptions.defaults());
    double[] three = new double[3];

    CompiledGraphTest.assertMessage(
        NullPointerException.class, "inputRows", () -> g.forwardBatch(null, 0, three, three));
    CompiledGraphTest.assertMessage(
        NullPointerException.class,
        "outputRows",
        () -> g.forwardBatch(three, 1, new double[1], null));
    CompiledGraphTest.assertMessage(
        IllegalArgumentException.class,
        "rows must be in [0, 3] for inputRows of length 3 and 1 inputs per row, got 4",
        () -> g.forwardBatch(three, 4, new double[1], new double[8]));
    CompiledGraphTest.assertMessage(
        IllegalArgumentException.class,
        "got -1",
        () -> g.forwardBatch(three, -1, new double[1], new double[8]));
    CompiledGraphTest.assertMessage(
        IllegalArgumentException.class,
        "params has length 3, expected 1",
        () -> g.forwardBatch(three, 3, three, new double[6]));
    CompiledGraphTest.assertMessage(
        IllegalArgumentException.class,
        "outputRows has length 5, expected at least 6 for 3 rows of 2 outputs",
        () -> g.forwardBatch(three, 3, new double[1], new double[5]));
    double[] shared = new double[6];
    CompiledGraphTest.assertMessage(
        IllegalArgumentException.class,
        "outputRows and inputRows are the same array",
        () -> g.forwardBatch(shared, 3, new double[1], shared));
    double[] params = new double[1];
    CompiledGraphTest.assertMessage(
        IllegalArgumentException.class,
        "outputRows and params are the same array",
        () -> g.forwardBatch(new double[1], 0, params, params));
  }

  @Test
  void forwardBatch_zeroRows_writesNothing() {
    Value x = Value.of(1, "x");
    Value w = Value.of(1, "w");
    CompiledGraph g = Jit.compile(x.mul(w), List.of(x), List.of(w));
    double[] out = {7};

    g.forwardBatch(new double[0], 0, new double[] {2}, out);

    assertArrayEquals(new double[] {7}, out);
  }
}
