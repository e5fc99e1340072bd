package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A second, adversarial reading of the lane kernel's register-blocked forms (chains, row-blocked
 * weight-gradient updates) and of lane code built lazily by racing threads: shapes chosen to make
 * chain detection misfire, row counts around the 8-row update passes, special values in single
 * rows. Oracles: the per-row kernel run row by row, per-row public calls summed block by block, and
 * the interpreter in exact mode.
 */
class LaneAdversarialTest {
  /** Row counts around the 8-row update passes and the 16-row blocks. */
  private static final int[] ROWS = {1, 7, 8, 9, 15, 16, 17, 31, 33};

  private static final double[] SPECIAL = {
    Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0
  };

  /**
   * Rows of numbers in [-1, 1], row 5 of every block of 16 with a special value somewhere (which
   * one depends on the block and {@code rows}), so each block's second 8-row pass is finite.
   */
  private static double[] data(SplittableRandom random, int rows, int inputs) {
    double[] data = random.doubles((long) rows * inputs, -1, 1).toArray();
    for (int r = 5; r < rows; r += 16) {
      data[r * inputs + random.nextInt(inputs)] = SPECIAL[(r / 16 + rows) % SPECIAL.length];
    }
    return data;
  }

  /**
   * Asserts {@link LaneFormsTest#assertLanesEqualPerRowKernel} at this class's row counts and rows;
   * returns the lane code, or null if {@code p} has none.
   */
  private static LaneEmitter.Code assertLanesEqualPerRowKernel(
      Program p, int minRollBytes, SplittableRandom random, String what) {
    return LaneFormsTest.assertLanesEqualPerRowKernel(
        p, minRollBytes, random, what, ROWS, LaneAdversarialTest::data);
  }

  /** A graph over {@code inputs} and {@code params} that sums {@code outputs}. */
  private static LoopFormsTest.Graph graph(
      List<Value> outputs, List<Value> inputs, List<Value> params) {
    return new LoopFormsTest.Graph(Value.sum(outputs), inputs, params);
  }

  private static List<Value> leaves(String name, int n, SplittableRandom random) {
    List<Value> leaves = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      leaves.add(Value.of(random == null ? 0 : random.nextDouble(-1, 1), name + i));
    }
    return leaves;
  }

  /**
   * Three sums of {@code n} terms of one adversarial {@code shape} (0 to 6, see the cases), each in
   * a different expression that reads other lane values around it; hidden values {@code tanh(x)}
   * are read twice, so they are stored.
   */
  static LoopFormsTest.Graph shapes(SplittableRandom random, int shape, int n) {
    List<Value> x = leaves("x", 2 * n + 2, null);
    List<Value> w = leaves("w", 2 * n + 2, random);
    List<Value> h = new ArrayList<>();
    for (Value v : x) {
      h.add(v.tanh());
    }
    List<Value> outs = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      List<Value> terms = new ArrayList<>();
      switch (shape) {
        case 0 -> { // head a param; w·x, operands swapped from the 13th term on
          terms.add(w.get(2 * n + 1 - k));
          for (int j = 0; j < n; j++) {
            Value a = w.get(j + k);
            Value b = x.get(j);
            terms.add(j < 12 ? a.mul(b) : b.mul(a));
          }
        }
        case 1 -> { // head an input; one weight in every term
          terms.add(x.get(k));
          for (int j = 0; j < n; j++) {
            terms.add(w.get(k).mul(x.get(j + 1)));
          }
        }
        case 2 -> { // weights shared by the three sums, inputs read backwards
          terms.add(w.get(2 * n));
          for (int j = 0; j < n; j++) {
            terms.add(w.get(j).mul(x.get(n - j + k)));
          }
        }
        case 3 -> { // headless: hidden times hidden
          for (int j = 0; j < n; j++) {
            terms.add(h.get(j).mul(h.get(j + k + 1)));
          }
        }
        case 4 -> { // head hidden; x·x with the same index, stride 2
          terms.add(h.get(k));
          for (int j = 0; j < n; j++) {
            terms.add(x.get(2 * j).mul(x.get(2 * j)));
          }
        }
        case 5 -> { // param·input, every 13th term param·hidden
          terms.add(w.get(k));
          for (int j = 0; j < n; j++) {
            terms.add(w.get(j).mul(j % 13 == 12 ? h.get(j) : x.get(j)));
          }
        }
        default -> { // param·hidden
          terms.add(w.get(k));
          for (int j = 0; j < n; j++) {
            terms.add(w.get(j + k).mul(h.get(j)));
          }
        }
      }
      Value sum = Value.sum(terms);
      outs.add(
          switch (k) {
            case 0 -> x.get(3).mul(sum.relu()).div(h.get(5).add(2));
            case 1 -> sum.clamp(-0.5, 0.5).pow(3).sub(x.get(1));
            default -> h.get(2).sub(sum.tanh().mul(x.get(4)));
          });
    }
    for (Value v : h) {
      outs.add(v.mul(0.5));
    }
    return graph(outs, x, w);
  }

  @Test
  void run_sumsOfAdversarialShapes_equalsPerRowKernelRowByRow() {
    int chains = 0;
    int chainsOf11 = 0;
    for (int shape = 0; shape <= 6; shape++) {
      for (int n : new int[] {11, 12, 13, 25, 40}) {
        SplittableRandom random = new SplittableRandom(shape * 100 + n);
        LoopFormsTest.Graph m = shapes(random, shape, n);
        for (boolean exact : new boolean[] {false, true}) {
          List<Program> programs = m.programs(JitOptions.defaults().withExact(exact));
          for (int which = 0; which < 2; which++) {
            String what = "shape " + shape + ", " + n + " terms, program " + which;
            Program p = programs.get(which);

            LaneEmitter.Code straight =
                assertLanesEqualPerRowKernel(p, Integer.MAX_VALUE, random, what);
            LaneEmitter.Code rolled = assertLanesEqualPerRowKernel(p, 0, random, what + ", rolled");

            for (LaneEmitter.Code code : Arrays.asList(straight, rolled)) {
              int c = code == null ? 0 : code.chainStatements();
              chains += c;
              chainsOf11 += n == 11 ? c : 0;
            }
          }
        }
      }
    }
    assertTrue(chains > 300, "chains: " + chains);
    assertEquals(0, chainsOf11, "sums of 11 terms are no chains");
  }

  /**
   * A layer of {@code neurons} over {@code inputs} inputs, each neuron reading the inputs backwards
   * (its weight gradients walk descending indices), then a second layer over the first.
   */
  static LoopFormsTest.Graph backwardsLayers(SplittableRandom random, int inputs, int neurons) {
    List<Value> x = leaves("x", inputs, null);
    List<Value> params = new ArrayList<>();
    List<Value> hidden = new ArrayList<>();
    for (int k = 0; k < neurons; k++) {
      List<Value> terms = new ArrayList<>();
      List<Value> w = leaves("w", inputs + 1, random);
      params.addAll(w);
      terms.add(w.get(inputs));
      for (int j = 0; j < inputs; j++) {
        terms.add(w.get(j).mul(x.get(inputs - 1 - j)));
      }
      hidden.add(Value.sum(terms).tanh());
    }
    List<Value> outs = new ArrayList<>();
    for (int k = 0; k < 2; k++) {
      List<Value> v = leaves("v", neurons, random);
      params.addAll(v);
      outs.add(Value.dot(v, hidden).relu());
    }
    return graph(outs, x, params);
  }

  @Test
  void run_layersReadingInputsBackwards_rowBlockedUpdatesEqualPerRowKernel() {
    SplittableRandom random = new SplittableRandom(41);
    LoopFormsTest.Graph m = backwardsLayers(random, 64, 9);
    int updates = 0;
    for (boolean exact : new boolean[] {false, true}) {
      Program gradient = m.programs(JitOptions.defaults().withExact(exact)).get(1);

      LaneEmitter.Code rolled =
          assertLanesEqualPerRowKernel(gradient, 0, random, "backwards, exact " + exact);
      assertLanesEqualPerRowKernel(gradient, Integer.MAX_VALUE, random, "straight");

      updates += rolled.blockedUpdates();
    }
    assertTrue(updates >= 9, "row-blocked updates: " + updates);
  }

  /** A model over 64 inputs big enough for lane code, with every adversarial shape in it. */
  static LoopFormsTest.Graph bigModel(SplittableRandom random) {
    LoopFormsTest.Graph layers = backwardsLayers(random, 64, 40);
    LoopFormsTest.Graph sums = shapes(random, 2, 62);
    List<Value> inputs = new ArrayList<>(layers.inputs());
    inputs.addAll(sums.inputs());
    List<Value> params = new ArrayList<>(layers.params());
    params.addAll(sums.params());
    return graph(List.of(layers.loss(), sums.loss()), inputs, params);
  }

  /** Asserts both batch calls equal per-row public calls, at every row count. */
  private static void assertBatchesEqualSingleCalls(
      CompiledGraph g, SplittableRandom random, String what) {
    double[] p = random.doubles(g.paramCount(), -0.5, 0.5).toArray();
    int[] rowCounts = Arrays.copyOf(ROWS, ROWS.length + 2);
    rowCounts[ROWS.length] = 1000;
    rowCounts[ROWS.length + 1] = LaneBatchTest.parallelRows(g);
    for (int rows : rowCounts) {
      double[] data = data(random, rows, g.inputCount());
      double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
      double[] expectedOut = forwardEachRow(g, data, rows, p);
      double[] grad = new double[p.length];
      double[] out = new double[rows];

      double sum = g.valueAndGradBatch(data, rows, p, grad);
      g.forwardBatch(data, rows, p, out);

      String at = what + ", " + rows + " rows";
      Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), at);
      Oracle.assertBitIdentical(expectedOut, out, at + ", forwardBatch");
    }
  }

  private static double[] forwardEachRow(CompiledGraph g, double[] data, int rows, double[] p) {
    double[] out = new double[rows];
    for (int r = 0; r < rows; r++) {
      out[r] = g.forward(Arrays.copyOfRange(data, r * g.inputCount(), (r + 1) * g.inputCount()), p);
    }
    return out;
  }

  @Test
  void valueAndGradBatch_bigAdversarialModel_equalsBlockwiseSingleCalls() {
    SplittableRandom random = new SplittableRandom(43);
    LoopFormsTest.Graph m = bigModel(random);
    for (boolean exact : new boolean[] {false, true}) {
      CompiledGraph g =
          Jit.compile(
              List.of(m.loss()), m.inputs(), m.params(), JitOptions.defaults().withExact(exact));

      assertBatchesEqualSingleCalls(g, random, "exact " + exact);

      assertTrue(g.hasBatchLanes() && g.hasForwardLanes(), "exact " + exact);
    }
  }

  @Test
  void valueAndGradBatch_bigAdversarialModelExact_equalsInterpreterRowByRow() {
    SplittableRandom random = new SplittableRandom(47);
    LoopFormsTest.Graph m = bigModel(random);
    CompiledGraph g =
        Jit.compile(
            List.of(m.loss()), m.inputs(), m.params(), JitOptions.defaults().withExact(true));
    int rows = 17;
    double[] p = random.doubles(g.paramCount(), -0.5, 0.5).toArray();
    double[] data = data(random, rows, g.inputCount());
    double[] expected = new double[1 + p.length];
    double[] expectedOut = new double[rows];
    for (int start = 0; start < rows; start += CompiledGraph.BATCH_BLOCK_ROWS) {
      double[] block = new double[1 + p.length];
      for (int r = start; r < Math.min(rows, start + CompiledGraph.BATCH_BLOCK_ROWS); r++) {
        double[] x = Arrays.copyOfRange(data, r * g.inputCount(), (r + 1) * g.inputCount());
        Values.setData(m.inputs(), x);
        Values.setData(m.params(), p);
        m.loss().forward();
        Values.setGrads(m.params(), Arrays.copyOfRange(block, 1, block.length));
        m.loss().backward();
        expectedOut[r] = m.loss().data();
        block[0] += m.loss().data();
        System.arraycopy(Values.grads(m.params()), 0, block, 1, p.length);
      }
      for (int i = 0; i < block.length; i++) {
        expected[i] += block[i];
      }
    }
    double[] grad = new double[p.length];
    double[] out = new double[rows];

    double sum = g.valueAndGradBatch(data, rows, p, grad);
    g.forwardBatch(data, rows, p, out);

    assertTrue(g.hasBatchLanes() && g.hasForwardLanes());
    Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), "batch");
    Oracle.assertBitIdentical(expectedOut, out, "forwardBatch");
  }

  /**
   * Runs {@code threads} first batch calls on {@code g} at once, forward and gradient batches
   * alternating, of {@code rows} rows that are split over the pool, and asserts each equals what
   * per-row calls on {@code oracle} give.
   */
  private static void assertRacingFirstCallsEqualSingleCalls(
      CompiledGraph g, CompiledGraph oracle, int rows, long seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    double[] p = random.doubles(g.paramCount(), -0.5, 0.5).toArray();
    double[] data = data(random, rows, g.inputCount());
    double[] expected = Oracle.blockwiseSingleCalls(oracle, data, rows, p);
    double[] expectedOut = forwardEachRow(oracle, data, rows, p);
    int threads = 4;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<double[]>> calls = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        boolean forward = t % 2 == 0;
        calls.add(
            pool.submit(
                () -> {
                  start.await();
                  if (forward) {
                    double[] out = new double[rows];
                    g.forwardBatch(data, rows, p, out);
                    return out;
                  }
                  double[] grad = new double[p.length];
                  double sum = g.valueAndGradBatch(data, rows, p, grad);
                  return Oracle.concat(sum, new double[0], grad);
                }));
      }

      start.countDown();

      for (int t = 0; t < threads; t++) {
        double[] result = calls.get(t).get(60, TimeUnit.SECONDS);
        Oracle.assertBitIdentical(t % 2 == 0 ? expectedOut : expected, result, "thread " + t);
      }
      assertTrue(g.hasBatchLanes() && g.hasForwardLanes());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void forwardAndGradientBatches_threadsRacingOnAFreshGraph_eachEqualSingleCalls()
      throws Exception {
    LoopFormsTest.Graph m = bigModel(new SplittableRandom(53));
    CompiledGraph oracle = Jit.compile(m.loss(), m.inputs(), m.params());
    int rows = LaneBatchTest.parallelRows(oracle);
    for (int round = 0; round < 2; round++) {
      CompiledGraph g = Jit.compile(m.loss(), m.inputs(), m.params());

      assertRacingFirstCallsEqualSingleCalls(g, oracle, rows, round);
    }
  }

  @Test
  void forwardAndGradientBatches_threadsRacingOnALoadedGraph_eachEqualSingleCalls()
      throws Exception {
    LoopFormsTest.Graph m = bigModel(new SplittableRandom(59));
    CompiledGraph oracle = Jit.compile(m.loss(), m.inputs(), m.params());
    byte[] saved = SavedGraphs.bytes(oracle);
    CompiledGraph g = SavedGraphs.load(saved, JitOptions.defaults());

    assertRacingFirstCallsEqualSingleCalls(g, oracle, 33, 61);
  }

  /**
   * A recurrence over partial sums: {@code v = b + Σ w·x} over the first {@code first} inputs, then
   * {@code v = tanh(v + Σ w·x)} over each next {@code width} inputs, {@code steps} times, weights
   * and inputs consecutive. At {@code first} 24 and {@code width} 23 each partial sum is one
   * statement that continues the one before in the same slot, {@code tanh} after its terms.
   */
  static LoopFormsTest.Graph recurrence(SplittableRandom random, int first, int width, int steps) {
    List<Value> inputs = leaves("x", first + width * steps, null);
    List<Value> params = new ArrayList<>();
    Value v = Value.of(random.nextDouble(-1, 1), "b");
    params.add(v);
    for (int k = 0, x = 0; k <= steps; k++) {
      List<Value> terms = new ArrayList<>();
      terms.add(v);
      for (int j = 0; j < (k == 0 ? first : width); j++, x++) {
        Value w = Value.of(random.nextDouble(-1, 1), "w");
        params.add(w);
        terms.add(w.mul(inputs.get(x)));
      }
      v = k == 0 ? Value.sum(terms) : Value.sum(terms).tanh();
    }
    return new LoopFormsTest.Graph(v, inputs, params);
  }

  @Test
  void run_rolledPartialSumsWithActivationAfterEach_equalsPerRowKernelRowByRow() {
    SplittableRandom random = new SplittableRandom(5);
    Program forward = recurrence(random, 24, 23, 6).programs(JitOptions.defaults()).get(0);

    assertLanesEqualPerRowKernel(forward, 0, random, "rolled recurrence");
  }

  @Test
  void forwardBatch_rolledPartialSumsWithActivationAfterEach_equalsForwardRowByRow() {
    SplittableRandom random = new SplittableRandom(5);
    LoopFormsTest.Graph m = recurrence(random, 24, 23, 80);
    for (boolean exact : new boolean[] {false, true}) {
      CompiledGraph g =
          Jit.compile(
              List.of(m.loss()), m.inputs(), m.params(), JitOptions.defaults().withExact(exact));
      double[] p = random.doubles(g.paramCount(), -0.2, 0.2).toArray();
      int rows = 17;
      double[] data = random.doubles(rows * g.inputCount(), -1, 1).toArray();
      double[] expected = forwardEachRow(g, data, rows, p);
      double[] out = new double[rows];

      g.forwardBatch(data, rows, p, out);

      assertTrue(g.hasForwardLanes());
      Oracle.assertBitIdentical(expected, out, "exact " + exact);
    }
  }

  /**
   * {@code v = b + Σ24 w·x}, then {@code u = (v + Σ w·x)·v} over the next {@code second} inputs,
   * read twice, plus a dot of {@code pad} terms: {@code u} continues {@code v}'s sum in {@code v}'s
   * slot and then reads that slot again after its terms.
   */
  static LoopFormsTest.Graph tailReadsItsSlot(SplittableRandom random, int second, int pad) {
    List<Value> inputs = leaves("x", 24 + second + pad, null);
    List<Value> params = leaves("w", 25 + second + pad, random);
    List<Value> terms = new ArrayList<>();
    terms.add(params.get(0));
    for (int j = 0; j < 24; j++) {
      terms.add(params.get(1 + j).mul(inputs.get(j)));
    }
    Value v = Value.sum(terms);
    terms = new ArrayList<>();
    terms.add(v);
    for (int j = 24; j < 24 + second; j++) {
      terms.add(params.get(1 + j).mul(inputs.get(j)));
    }
    Value u = Value.sum(terms).mul(v);
    List<Value> outs = new ArrayList<>(List.of(u.mul(u)));
    if (pad > 0) {
      int from = 24 + second;
      outs.add(
          Value.dot(params.subList(1 + from, params.size()), inputs.subList(from, inputs.size())));
    }
    return graph(outs, inputs, params);
  }

  @Test
  void run_partialSumReadingItsSlotAfterItsTerms_equalsPerRowKernelRowByRow() {
    SplittableRandom random = new SplittableRandom(7);
    Program forward = tailReadsItsSlot(random, 12, 0).programs(JitOptions.defaults()).get(0);

    assertLanesEqualPerRowKernel(forward, Integer.MAX_VALUE, random, "tail reads its slot");
  }

  @Test
  void batches_partialSumReadingItsSlotAfterItsTerms_equalSingleCalls() {
    SplittableRandom random = new SplittableRandom(7);
    LoopFormsTest.Graph m = tailReadsItsSlot(random, 12, 2500);
    CompiledGraph g = Jit.compile(m.loss(), m.inputs(), m.params());

    assertBatchesEqualSingleCalls(g, random, "tail reads its slot");

    assertTrue(g.hasBatchLanes() && g.hasForwardLanes());
  }

  /** A balanced tree over {@code leaves}, adds and products by turns. */
  private static Value tree(List<Value> leaves, int depth) {
    if (leaves.size() == 1) {
      return leaves.get(0);
    }
    int half = leaves.size() / 2;
    Value a = tree(leaves.subList(0, half), depth + 1);
    Value b = tree(leaves.subList(half, leaves.size()), depth + 1);
    return depth % 2 == 0 ? a.add(b) : a.mul(b);
  }

  /**
   * {@code period · trips} sums of 12 terms over the same 12 inputs, each then combined (by one of
   * {@code period} ops, in turn) with a balanced tree of {@code tail} further inputs of its own:
   * chains with many loads after their terms, rolled {@code period} statements per trip. From 25
   * loads on the sums have no head, as the tree takes the room an expression has.
   */
  static LoopFormsTest.Graph wideTails(SplittableRandom random, int period, int trips, int tail) {
    int n = trips * period;
    List<Value> x = leaves("x", 12 + n * tail, null);
    List<Value> w = leaves("w", n * 12, random);
    List<Value> b = leaves("b", n, random);
    List<Value> params = new ArrayList<>(w);
    params.addAll(b);
    List<Value> outs = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      List<Value> terms = new ArrayList<>();
      if (tail < 25) {
        terms.add(b.get(s));
      }
      for (int j = 0; j < 12; j++) {
        terms.add(w.get(s * 12 + j).mul(x.get(j)));
      }
      Value sum = Value.sum(terms);
      Value t = tree(x.subList(12 + s * tail, 12 + (s + 1) * tail), 0);
      outs.add(
          switch (s % period) {
            case 0 -> sum.mul(t);
            case 1 -> sum.add(t);
            case 2 -> sum.sub(t);
            default -> sum.div(t);
          });
    }
    return graph(outs, x, params);
  }

  @Test
  void run_chainsWithWideTails_equalsPerRowKernelRowByRow() {
    for (int tail : new int[] {4, 24}) {
      for (int period = 1; period <= 3; period++) {
        SplittableRandom random = new SplittableRandom(period);
        LoopFormsTest.Graph m = wideTails(random, period, 5, tail);
        for (boolean exact : new boolean[] {false, true}) {
          Program forward = m.programs(JitOptions.defaults().withExact(exact)).get(0);
          String what = "tail " + tail + ", period " + period + ", exact " + exact;

          LaneEmitter.Code straight =
              assertLanesEqualPerRowKernel(forward, Integer.MAX_VALUE, random, what);
          LaneEmitter.Code rolled =
              period == 1
                  ? assertLanesEqualPerRowKernel(forward, 0, random, what + ", rolled")
                  : null;

          // a 24-load tail written once per lane would not fit a method: no chain then
          assertEquals(tail == 4, straight.chainStatements() > 0, what);
          assertTrue(
              rolled == null || (rolled.chainStatements() > 0) == (tail == 4),
              what + ": " + (rolled == null ? "" : rolled.chainStatements()));
        }
      }
    }
  }

  @Test
  void emit_rolledChainsWithWideTails_everyLaneMethodStaysUnderHugeMethodLimit() {
    for (int[] shape : new int[][] {{2, 24}, {1, 25}}) {
      SplittableRandom random = new SplittableRandom(shape[1]);
      Program forward =
          wideTails(random, shape[0], 80 / shape[0], shape[1])
              .programs(JitOptions.defaults())
              .get(0);

      LaneEmitter.Code code = LaneEmitter.emit(forward, new Layout(forward));

      assertTrue(Compiler.wantsLanes(forward.size, Compiler.DEFAULT_LANE_MIN_INSTRUCTIONS));
      for (byte[] c : code.classes()) {
        CompiledGraphTest.assertVerifiesUnderHugeMethodLimit(c);
      }
    }
  }

  @Test
  void run_weightUpdatesScaledByAnInput_equalsPerRowKernelRowByRow() {
    SplittableRandom random = new SplittableRandom(3);
    List<Value> x = leaves("x", 130, null);
    List<Value> w = leaves("w", 128, random);
    List<Value> ascending = new ArrayList<>();
    List<Value> descending = new ArrayList<>();
    for (int j = 0; j < 64; j++) {
      ascending.add(w.get(j).mul(x.get(j)));
      descending.add(w.get(64 + j).mul(x.get(127 - j)));
    }
    Value loss =
        x.get(128).mul(Value.sum(ascending)).add(x.get(129).mul(Value.sum(descending).tanh()));
    LoopFormsTest.Graph m = graph(List.of(loss), x, w);
    Program gradient = m.programs(JitOptions.defaults()).get(1);

    LaneEmitter.Code rolled = assertLanesEqualPerRowKernel(gradient, 0, random, "scaled by x");

    assertTrue(rolled.blockedUpdates() >= 2, "row-blocked updates: " + rolled.blockedUpdates());
  }

  @Test
  void run_headlessChainOfNegativeZeroProducts_keepsTheSignOfZero() {
    SplittableRandom random = new SplittableRandom(71);
    List<Value> x = leaves("x", 13, null);
    List<Value> w = leaves("w", 13, random);
    Program forward = graph(List.of(Value.dot(w, x)), x, w).programs(JitOptions.defaults()).get(0);
    double[] params = random.doubles(13, 0.1, 1).toArray();
    double[] data = new double[LaneEmitter.LANES * 13];
    Arrays.fill(data, -0.0);
    for (int minRollBytes : new int[] {0, Integer.MAX_VALUE}) {
      Layout layout = new Layout(forward);
      LaneEmitter.Code code = LaneEmitter.emit(forward, layout, minRollBytes);
      LaneKernel lanes = LaneEmitter.load(code);
      double[] laneArray = new double[lanes.arraySize()];
      double[] actual = new double[LaneEmitter.LANES];

      lanes.gather(data, 0, LaneEmitter.LANES, laneArray);
      lanes.run(laneArray, params, null, LaneEmitter.LANES);
      System.arraycopy(laneArray, lanes.output(0), actual, 0, LaneEmitter.LANES);

      double[] expected = new double[LaneEmitter.LANES];
      Arrays.fill(expected, -0.0); // w·(-0.0) is -0.0 for w > 0, and -0.0 + -0.0 is -0.0
      assertEquals(1, code.chainStatements());
      Oracle.assertBitIdentical(expected, actual, "min roll bytes " + minRollBytes);
    }
  }

  @Test
  void emit_headlessSumOfExactlyTheFewestTerms_runsAsAChainEqualToPerRowKernel() {
    SplittableRandom random = new SplittableRandom(73);
    int terms = LaneChains.CHAIN_MIN_TERMS;
    List<Value> x = leaves("x", terms, null);
    List<Value> w = leaves("w", terms, random);
    Program forward = graph(List.of(Value.dot(w, x)), x, w).programs(JitOptions.defaults()).get(0);

    LaneEmitter.Code code =
        assertLanesEqualPerRowKernel(forward, Integer.MAX_VALUE, random, "12-term dot");

    assertEquals(1, code.chainStatements());
  }
}
