package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * An adversarial reading of the Vector API form of lane code ({@link LaneVectors}: vector chains
 * and vector weight-gradient updates), run in both test executions, so the same graphs check the
 * plain form too: update runs of every width around a vector's length and misaligned in their
 * arrays, runs that are not contiguous or walk in opposite directions, shared and repeated
 * parameters, chains in rolled loops whose ops around the sum read other slots, special values in
 * single rows and in parameters, several outputs. Oracles: the per-row kernel run row by row, the
 * public per-row calls summed block by block, and the interpreter in exact mode.
 */
class LaneVectorsAdversarialTest {
  /** Row counts around the 8-row update passes, the vector length and the 16-row blocks. */
  private static final int[] ROWS = {1, 7, 8, 9, 15, 16, 17, 33};

  private static final double[] SPECIAL = {
    Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0
  };

  /**
   * Rows of numbers in [-1, 1]; rows 3 and 12 of every block hold a special value (which one
   * depends on the row and {@code rows}), row 3 at an input that changes with the block, row 12 in
   * every input, so both 8-row passes of a block meet one.
   */
  private static double[] data(SplittableRandom random, int rows, int inputs) {
    double[] data = random.doubles((long) rows * inputs, -1, 1).toArray();
    for (int r = 3; r < rows; r += 16) {
      data[r * inputs + (r / 16) % inputs] = SPECIAL[(r + rows) % SPECIAL.length];
    }
    for (int r = 12; r < rows; r += 16) {
      Arrays.fill(data, r * inputs, (r + 1) * inputs, SPECIAL[(r + rows + 1) % SPECIAL.length]);
    }
    return data;
  }

  private static List<Value> leaves(String name, int n, SplittableRandom random) {
    List<Value> leaves = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      leaves.add(Value.of(random == null ? 0 : random.nextDouble(-1, 1), name + i));
    }
    return leaves;
  }

  /** Whether any class of {@code code} calls the Vector API. */
  private static boolean callsVectorApi(LaneEmitter.Code code) {
    for (byte[] c : code.classes()) {
      if (new String(c, StandardCharsets.ISO_8859_1).contains("jdk/incubator/vector")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Asserts, in default and exact mode, that both programs of {@code m} run on lanes as the per-row
   * kernel does row by row ({@link LaneFormsTest#assertLanesEqualPerRowKernel}), straight and
   * rolled; returns the rolled lane code of the default gradient program.
   */
  private static LaneEmitter.Code assertBothModesEqualPerRowKernel(
      LoopFormsTest.Graph m, SplittableRandom random, String what) {
    LaneEmitter.Code gradient = null;
    for (boolean exact : new boolean[] {false, true}) {
      List<Program> programs = m.programs(JitOptions.defaults().withExact(exact));
      for (int which = 0; which < 2; which++) {
        String at = what + ", program " + which + ", exact " + exact;
        Program p = programs.get(which);

        LaneFormsTest.assertLanesEqualPerRowKernel(
            p, Integer.MAX_VALUE, random, at, ROWS, LaneVectorsAdversarialTest::data);
        LaneEmitter.Code rolled =
            LaneFormsTest.assertLanesEqualPerRowKernel(
                p, 0, random, at + ", rolled", ROWS, LaneVectorsAdversarialTest::data);

        if (which == 1 && !exact) {
          gradient = rolled;
        }
      }
    }
    return gradient;
  }

  /**
   * One neuron {@code tanh(b + Σ w·x)} per width, its weights consecutive and its inputs a
   * consecutive run that starts one input after the last neuron's, so the runs sit at every offset
   * from a vector's alignment; the neurons' sum is the output.
   */
  static LoopFormsTest.Graph widths(SplittableRandom random, int... widths) {
    int most = Arrays.stream(widths).max().orElse(0);
    List<Value> x = leaves("x", most + widths.length, null);
    List<Value> params = new ArrayList<>();
    List<Value> outs = new ArrayList<>();
    for (int k = 0; k < widths.length; k++) {
      List<Value> w = leaves("w", widths[k], random);
      Value b = Value.of(random.nextDouble(-1, 1), "b");
      params.addAll(w);
      params.add(b);
      outs.add(Value.dot(w, x.subList(k, k + widths[k])).add(b).tanh());
    }
    return new LoopFormsTest.Graph(Value.sum(outs), x, params);
  }

  @Test
  void run_updateRunsOfEveryWidthAroundTheVectorLength_equalsPerRowKernelRowByRow() {
    SplittableRandom random = new SplittableRandom(11);
    // runs roll from 45 trips on (Rolling.MIN_RUN_BYTES): every remainder modulo 8 and 4
    int[] widths = {45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 64, 65, 71, 72, 73};
    LoopFormsTest.Graph m = widths(random, widths);

    LaneEmitter.Code gradient = assertBothModesEqualPerRowKernel(m, random, "widths 45..73");

    assertTrue(gradient.blockedUpdates() >= 18, "row-blocked: " + gradient.blockedUpdates());
    assertTrue(!LaneVectors.ON || callsVectorApi(gradient), "no vector update");
  }

  /**
   * Neurons of {@code width} terms over 2·width inputs whose update runs are not contiguous or walk
   * their arrays in opposite directions, by {@code kind}: 0 two neurons' weights interleaved; 1
   * every second input; 2 weights up, inputs down; 3 weights down, inputs up; 4 both down; 5 a
   * second layer over hidden values (lane slots, not inputs).
   */
  static LoopFormsTest.Graph irregularRuns(SplittableRandom random, int kind, int width) {
    List<Value> x = leaves("x", 2 * width, null);
    List<Value> w = leaves("w", 2 * width, random);
    List<Value> a = new ArrayList<>();
    List<Value> b = new ArrayList<>();
    List<Value> xa = new ArrayList<>();
    List<Value> xb = new ArrayList<>();
    for (int j = 0; j < width; j++) {
      switch (kind) {
        case 0 -> {
          a.add(w.get(2 * j));
          b.add(w.get(2 * j + 1));
          xa.add(x.get(j));
          xb.add(x.get(width + j));
        }
        case 1 -> {
          a.add(w.get(j));
          b.add(w.get(width + j));
          xa.add(x.get(2 * j));
          xb.add(x.get(2 * j + 1));
        }
        case 2 -> {
          a.add(w.get(j));
          b.add(w.get(width + j));
          xa.add(x.get(width - 1 - j));
          xb.add(x.get(2 * width - 1 - j));
        }
        case 3 -> {
          a.add(w.get(width - 1 - j));
          b.add(w.get(2 * width - 1 - j));
          xa.add(x.get(j));
          xb.add(x.get(width + j));
        }
        case 4 -> {
          a.add(w.get(width - 1 - j));
          b.add(w.get(2 * width - 1 - j));
          xa.add(x.get(width - 1 - j));
          xb.add(x.get(2 * width - 1 - j));
        }
        default -> {
          a.add(w.get(j));
          b.add(w.get(width + j));
          xa.add(x.get(j).tanh());
          xb.add(x.get(width + j).mul(x.get(j)));
        }
      }
    }
    Value loss = Value.dot(a, xa).tanh().add(Value.dot(b, xb).relu().mul(x.get(0)));
    return new LoopFormsTest.Graph(loss, x, w);
  }

  @Test
  void run_updateRunsNotContiguousOrWalkingApart_equalsPerRowKernelRowByRow() {
    int updates = 0;
    for (int kind = 0; kind <= 5; kind++) {
      for (int width : new int[] {53, 70}) {
        SplittableRandom random = new SplittableRandom(kind * 31 + width);
        LoopFormsTest.Graph m = irregularRuns(random, kind, width);

        LaneEmitter.Code gradient =
            assertBothModesEqualPerRowKernel(m, random, "kind " + kind + ", width " + width);

        updates += gradient.blockedUpdates();
      }
    }
    assertTrue(updates >= 20, "row-blocked updates: " + updates);
  }

  /**
   * Parameters used more than once: three neurons share one weight vector, a fourth uses its
   * weights twice over (the same run then again), a fifth's weights are the shared ones read
   * backwards; each over {@code width} inputs of its own.
   */
  static LoopFormsTest.Graph sharedParams(SplittableRandom random, int width) {
    List<Value> x = leaves("x", 7 * width, null);
    List<Value> shared = leaves("s", width, random);
    List<Value> own = leaves("o", width, random);
    List<Value> params = new ArrayList<>(shared);
    params.addAll(own);
    List<Value> outs = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      outs.add(Value.dot(shared, x.subList(k * width, (k + 1) * width)).tanh());
    }
    List<Value> twice = new ArrayList<>(own);
    twice.addAll(own);
    outs.add(Value.dot(twice, x.subList(3 * width, 5 * width)).relu());
    List<Value> backwards = new ArrayList<>(shared);
    Collections.reverse(backwards);
    outs.add(Value.dot(backwards, x.subList(5 * width, 6 * width)).mul(x.get(6 * width)));
    return new LoopFormsTest.Graph(Value.sum(outs), x, params);
  }

  @Test
  void run_sharedAndRepeatedParams_equalsPerRowKernelRowByRow() {
    for (int width : new int[] {8, 13, 17, 50}) {
      SplittableRandom random = new SplittableRandom(width);
      LoopFormsTest.Graph m = sharedParams(random, width);

      assertBothModesEqualPerRowKernel(m, random, "shared, width " + width);
    }
  }

  @Test
  void valueAndGradBatch_sharedAndRepeatedParams_equalsBlockwiseSingleCalls() {
    SplittableRandom random = new SplittableRandom(17);
    LoopFormsTest.Graph m = sharedParams(random, 50);
    for (boolean exact : new boolean[] {false, true}) {
      CompiledGraph g =
          Jit.compile(
              List.of(m.loss()), m.inputs(), m.params(), JitOptions.defaults().withExact(exact));

      assertBatchesEqualSingleCalls(g, random, "exact " + exact);
    }
  }

  /**
   * A recurrence over {@code steps} chains of {@code terms} terms each over the same inputs, with
   * ops around each sum that read the slot the chain before wrote and an input that moves with the
   * step: {@code v_k = tanh(v_{k-1} · (b_k + Σ w_kj·x_j)) − x_{k}}.
   */
  static LoopFormsTest.Graph recurrence(SplittableRandom random, int steps, int terms) {
    List<Value> x = leaves("x", terms + steps, null);
    List<Value> params = new ArrayList<>();
    Value v = x.get(terms);
    for (int k = 0; k < steps; k++) {
      List<Value> sum = new ArrayList<>();
      Value b = Value.of(random.nextDouble(-1, 1), "b");
      params.add(b);
      sum.add(b);
      for (int j = 0; j < terms; j++) {
        Value w = Value.of(random.nextDouble(-1, 1), "w");
        params.add(w);
        sum.add(w.mul(x.get(j)));
      }
      v = v.mul(Value.sum(sum)).tanh().sub(x.get(terms + k));
    }
    return new LoopFormsTest.Graph(v, x, params);
  }

  @Test
  void run_rolledChainsReadingTheSlotBeforeAroundTheirSums_equalsPerRowKernelRowByRow() {
    int chains = 0;
    for (int terms : new int[] {12, 13, 16, 17}) {
      SplittableRandom random = new SplittableRandom(terms);
      LoopFormsTest.Graph m = recurrence(random, 20, terms);
      for (boolean exact : new boolean[] {false, true}) {
        Program forward = m.programs(JitOptions.defaults().withExact(exact)).get(0);
        String what = terms + " terms, exact " + exact;

        LaneEmitter.Code rolled =
            LaneFormsTest.assertLanesEqualPerRowKernel(
                forward, 0, random, what, ROWS, LaneVectorsAdversarialTest::data);
        LaneFormsTest.assertLanesEqualPerRowKernel(
            forward, Integer.MAX_VALUE, random, what, ROWS, LaneVectorsAdversarialTest::data);

        chains += rolled.chainStatements();
      }
    }
    assertTrue(chains >= 8, "chains: " + chains);
  }

  /**
   * A sliding window: {@code v_i = tanh(x_i)} for the first {@code window}, then {@code steps}
   * values {@code v_k = tanh(b_k + Σ_j w_kj·v_{k-window+j}) · x_{k mod window}}, each sum's terms
   * reading the values the sums just before wrote.
   */
  static LoopFormsTest.Graph slidingWindow(SplittableRandom random, int window, int steps) {
    List<Value> x = leaves("x", window, null);
    List<Value> params = new ArrayList<>();
    List<Value> v = new ArrayList<>();
    for (Value xi : x) {
      v.add(xi.tanh());
    }
    for (int k = window; k < window + steps; k++) {
      List<Value> w = leaves("w", window, random);
      Value b = Value.of(random.nextDouble(-1, 1), "b");
      params.addAll(w);
      params.add(b);
      v.add(Value.dot(w, v.subList(k - window, k)).add(b).tanh().mul(x.get(k % window)));
    }
    return new LoopFormsTest.Graph(Value.sum(v.subList(window, v.size())), x, params);
  }

  @Test
  void run_rolledChainsOverTheTargetsOfTheTripsBefore_equalsPerRowKernelRowByRow() {
    int chains = 0;
    for (int window : new int[] {12, 16, 17}) {
      SplittableRandom random = new SplittableRandom(window);
      LoopFormsTest.Graph m = slidingWindow(random, window, 40);

      LaneEmitter.Code gradient = assertBothModesEqualPerRowKernel(m, random, "window " + window);

      chains += gradient.chainStatements();
    }
    assertTrue(chains >= 3, "chains: " + chains);
  }

  @Test
  void run_mlpsWithChainsInRolledLayersAndNests_equalsPerRowKernelRowByRow() {
    SplittableRandom random = new SplittableRandom(23);
    int chains = 0;
    for (int[] sizes : new int[][] {{13, 17, 12, 3}, {33, 24, 16, 5}, {12, 40, 2}}) {
      LoopFormsTest.Graph m = LoopFormsTest.Graph.mlp(random, 2, sizes);

      LaneEmitter.Code gradient =
          assertBothModesEqualPerRowKernel(m, random, "mlp " + Arrays.toString(sizes));

      chains += gradient.chainStatements();
    }
    assertTrue(chains >= 3, "chains: " + chains);
  }

  /**
   * Three outputs, each a chain of {@code terms} terms over the same inputs with different ops
   * around it, and a fourth that reads the first two: {@code forwardBatch} writes all four.
   */
  static LoopFormsTest.Graph outputs(SplittableRandom random, int terms, List<Value> outs) {
    List<Value> x = leaves("x", terms + 2, null);
    List<Value> params = new ArrayList<>();
    List<Value> sums = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      List<Value> w = leaves("w", terms, random);
      Value b = Value.of(random.nextDouble(-1, 1), "b");
      params.addAll(w);
      params.add(b);
      sums.add(Value.dot(w, x.subList(k % 2, k % 2 + terms)).add(b));
    }
    outs.add(sums.get(0).tanh());
    outs.add(sums.get(1).mul(x.get(terms + 1)).relu());
    outs.add(x.get(terms).div(sums.get(2).clamp(-0.75, 0.75).add(2)));
    outs.add(outs.get(0).mul(outs.get(1)).sub(outs.get(2)));
    return new LoopFormsTest.Graph(outs.get(3), x, params);
  }

  @Test
  void batches_severalOutputsOfChains_equalSingleCalls() {
    SplittableRandom random = new SplittableRandom(29);
    for (int terms : new int[] {12, 17, 40}) {
      List<Value> outs = new ArrayList<>();
      LoopFormsTest.Graph m = outputs(random, terms, outs);
      for (boolean exact : new boolean[] {false, true}) {
        CompiledGraph g =
            Jit.compile(outs, m.inputs(), m.params(), JitOptions.defaults().withExact(exact));

        assertBatchesEqualSingleCalls(g, random, terms + " terms, exact " + exact);
      }
    }
  }

  @Test
  void valueAndGradBatch_specialParamsInChainsAndUpdates_equalsBlockwiseSingleCalls() {
    SplittableRandom random = new SplittableRandom(31);
    LoopFormsTest.Graph m = widths(random, 45, 48, 53, 56, 61, 64);
    CompiledGraph g = Jit.compile(m.loss(), m.inputs(), m.params());
    for (double special : SPECIAL) {
      for (int at : new int[] {0, 7, 8, 44, 45, 100}) {
        double[] p = random.doubles(g.paramCount(), -0.5, 0.5).toArray();
        p[at] = special;
        double[] data = data(random, 17, g.inputCount());
        double[] expected = Oracle.blockwiseSingleCalls(g, data, 17, p);
        double[] grad = new double[p.length];

        double sum = g.valueAndGradBatch(data, 17, p, grad);

        String what = special + " at param " + at;
        Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), what);
      }
    }
    assertRowBlocksUpdatesInBatches(m);
  }

  /**
   * Asserts that the batches of {@code m} compiled with the default options run row-blocked
   * weight-gradient updates, and Vector API calls when the vector form is on: its gradient
   * program's lane code, rolled as {@link LazyLanes} rolls it.
   */
  private static void assertRowBlocksUpdatesInBatches(LoopFormsTest.Graph m) {
    Program p = m.programs(JitOptions.defaults()).get(1);

    LaneEmitter.Code code = LaneEmitter.emit(p, new Layout(p), LaneEmitter.MIN_ROLL_BYTES);

    assertTrue(code.blockedUpdates() > 0, "row-blocked updates: " + code.blockedUpdates());
    assertTrue(!LaneVectors.ON || callsVectorApi(code), "no vector code");
  }

  @Test
  void valueAndGradBatch_allNegativeZeroRowsIntoNegativeZeroGrads_keepsTheSignOfZero() {
    SplittableRandom random = new SplittableRandom(37);
    LoopFormsTest.Graph m = widths(random, 17, 45, 56, 64);
    CompiledGraph g = Jit.compile(m.loss(), m.inputs(), m.params());
    double[] p = random.doubles(g.paramCount(), 0.1, 1).toArray();
    int n = g.inputCount();
    for (int rows : ROWS) {
      double[] data = new double[rows * n];
      Arrays.fill(data, -0.0);
      // the documented sum: the caller's gradient, then each block's sum of rows, block by block
      double[] expected = new double[1 + p.length];
      Arrays.fill(expected, 1, expected.length, -0.0);
      for (int start = 0; start < rows; start += CompiledGraph.BATCH_BLOCK_ROWS) {
        int end = Math.min(rows, start + CompiledGraph.BATCH_BLOCK_ROWS);
        double[] block =
            Oracle.blockwiseSingleCalls(
                g, Arrays.copyOfRange(data, start * n, end * n), end - start, p);
        for (int i = 0; i < block.length; i++) {
          expected[i] += block[i];
        }
      }
      double[] grad = new double[p.length];
      Arrays.fill(grad, -0.0);

      double sum = g.valueAndGradBatch(data, rows, p, grad);

      Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), rows + " rows");
    }
  }

  @Test
  void valueAndGradBatch_modelNearTheVectorLaneThresholdExact_equalsInterpreterRowByRow() {
    SplittableRandom random = new SplittableRandom(41);
    LoopFormsTest.Graph m = LoopFormsTest.Graph.mlp(random, 0, 2, 16, 10);
    CompiledGraph g =
        Jit.compile(
            List.of(m.loss()), m.inputs(), m.params(), JitOptions.defaults().withExact(true));
    double[] p = random.doubles(g.paramCount(), -0.5, 0.5).toArray();
    Values.setData(m.params(), p);
    int n = g.inputCount();
    for (int rows : ROWS) {
      double[] data = data(random, rows, n);
      // the interpreter's leaves add each row's gradient into the block's, row by row
      double[] expected = new double[1 + p.length];
      for (int start = 0; start < rows; start += CompiledGraph.BATCH_BLOCK_ROWS) {
        Values.zeroGrad(m.params());
        double blockSum = 0;
        for (int r = start; r < Math.min(rows, start + CompiledGraph.BATCH_BLOCK_ROWS); r++) {
          Values.setData(m.inputs(), Arrays.copyOfRange(data, r * n, (r + 1) * n));
          m.loss().forward();
          m.loss().backward();
          blockSum += m.loss().data();
        }
        double[] blockGrad = Values.grads(m.params());
        expected[0] += blockSum;
        for (int i = 0; i < blockGrad.length; i++) {
          expected[1 + i] += blockGrad[i];
        }
      }
      double[] grad = new double[p.length];

      double sum = g.valueAndGradBatch(data, rows, p, grad);

      Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), rows + " rows");
    }
    assertTrue(g.hasBatchLanes(), "no batch lanes");
  }

  /**
   * Runs a lane kernel with a vector chain and vector updates until its methods are hot enough for
   * C2 (whose Vector API intrinsics are SIMD instructions, where a short test meets only the
   * interpreter's and C1's scalar fallback), comparing every run with the per-row kernel.
   */
  @Test
  void run_hotLaneKernelCompiledByC2_staysEqualToPerRowKernel() {
    SplittableRandom random = new SplittableRandom(43);
    Program p = widths(random, 53, 61).programs(JitOptions.defaults()).get(1);
    Layout layout = new Layout(p);
    Kernel perRow = Emitter.load(Emitter.emit(p, layout));
    LaneEmitter.Code code = LaneEmitter.emit(p, layout, 0);
    LaneKernel lanes = LaneEmitter.load(code);
    double[] params = random.doubles(p.paramCount, -1, 1).toArray();
    double[][] blocks = new double[4][];
    double[][] expected = new double[blocks.length][];
    for (int b = 0; b < blocks.length; b++) {
      int rows = b == 0 ? LaneEmitter.LANES : ROWS[b + 1];
      blocks[b] = data(random, rows, p.inputCount);
      expected[b] = new double[p.paramCount];
      double[] ws = new double[perRow.workspaceSize()];
      for (int r = 0; r < rows; r++) {
        double[] row = Arrays.copyOfRange(blocks[b], r * p.inputCount, (r + 1) * p.inputCount);
        perRow.run(row, params, expected[b], null, ws);
      }
    }
    double[] laneArray = new double[lanes.arraySize()];
    double[] grad = new double[p.paramCount];
    long deadline = System.nanoTime() + 20_000_000_000L;

    int runs = 0;
    for (; runs < 40_000 && System.nanoTime() < deadline; runs++) {
      int b = runs % blocks.length;
      int rows = blocks[b].length / p.inputCount;
      Arrays.fill(grad, 0.0);
      lanes.gather(blocks[b], 0, rows, laneArray);
      lanes.run(laneArray, params, grad, rows);
      if (!Arrays.equals(expected[b], grad)) {
        Oracle.assertBitIdentical(expected[b], grad, "run " + runs + ", " + rows + " rows");
      }
    }

    assertTrue(!LaneVectors.ON || callsVectorApi(code), "no vector code");
    assertTrue(code.blockedUpdates() >= 2 && code.chainStatements() >= 1, "forms");
    assertTrue(runs >= 5_000, "only " + runs + " runs in 20 s");
  }

  /**
   * Asserts, at every row count and 1,000 rows, that {@code valueAndGradBatch} equals per-row
   * {@code valueAndGrad} calls summed block by block, and that {@code forwardBatch} writes every
   * output of every row as per-row {@code forward} does and nothing past the last row.
   */
  private static void assertBatchesEqualSingleCalls(
      CompiledGraph g, SplittableRandom random, String what) {
    double[] p = random.doubles(g.paramCount(), -0.5, 0.5).toArray();
    int n = g.inputCount();
    int outputs = g.outputCount();
    int[] rowCounts = Arrays.copyOf(ROWS, ROWS.length + 1);
    rowCounts[ROWS.length] = 1000;
    for (int rows : rowCounts) {
      double[] data = data(random, rows, n);
      double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
      double[] expectedOut = new double[(rows + 1) * outputs];
      Arrays.fill(expectedOut, 42); // a row past the last: left as it is
      double[] out = new double[outputs];
      for (int r = 0; r < rows; r++) {
        g.forward(Arrays.copyOfRange(data, r * n, (r + 1) * n), p, out);
        System.arraycopy(out, 0, expectedOut, r * outputs, outputs);
      }
      double[] grad = new double[p.length];
      double[] actualOut = new double[(rows + 1) * outputs];
      Arrays.fill(actualOut, 42);

      double sum = g.valueAndGradBatch(data, rows, p, grad);
      g.forwardBatch(data, rows, p, actualOut);

      String at = what + ", " + rows + " rows";
      Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), at);
      Oracle.assertBitIdentical(expectedOut, actualOut, at + ", forwardBatch");
    }
    assertTrue(g.hasBatchLanes() && g.hasForwardLanes(), what);
  }

  @Test
  void batches_irregularRunsThroughThePublicApi_equalSingleCalls() {
    for (int kind = 0; kind <= 5; kind++) {
      SplittableRandom random = new SplittableRandom(kind);
      LoopFormsTest.Graph m = irregularRuns(random, kind, 140);
      CompiledGraph g = Jit.compile(m.loss(), m.inputs(), m.params());

      assertBatchesEqualSingleCalls(g, random, "kind " + kind);

      assertRowBlocksUpdatesInBatches(m);
    }
  }
}
