package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Graphs built to trip up DOTs and UPDATEs ({@link Kind#DOT}, {@link Kind#UPDATE}): repeated x, x
 * as the head, params as x, weights on either side at any spacing, DOTs read many times, under
 * branches, non-finite numbers, hidden layers, batches, saved graphs and size limits, each against
 * the interpreter (to the bit in exact mode).
 */
class DotAdversarialTest {
  private static final JitOptions EXACT = JitOptions.defaults().withExact(true);
  private static final JitOptions DEFAULT = JitOptions.defaults();
  private static final JitOptions INTERPRETED =
      EXACT.withBackend(JitOptions.Backend.IR_INTERPRETER);

  /** Products enough for a DOT. */
  private static final int N = Tracer.Dots.MIN_PRODUCTS;

  private static final int RANDOM_CASES = Integer.getInteger("dotAdversarial.cases", 40);

  private static final int[] ROWS = {1, 15, 16, 17, 100};

  private static List<Value> leaves(String name, int n) {
    List<Value> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Value.of(0, name + i));
    }
    return out;
  }

  /** {@code sum(head, w[i]·x[i] ...)} or with the weights on the right. */
  private static Value neuron(Value head, List<Value> w, List<Value> x, boolean weightsLeft) {
    List<Value> terms = new ArrayList<>();
    terms.add(head);
    for (int i = 0; i < w.size(); i++) {
      terms.add(weightsLeft ? w.get(i).mul(x.get(i)) : x.get(i).mul(w.get(i)));
    }
    return Value.sum(terms);
  }

  private static int dots(List<Value> outputs, List<Value> x, List<Value> p) {
    Program traced = Tracer.trace(outputs, x, p);
    int dots = 0;
    for (int i = 0; i < traced.size; i++) {
      dots += traced.kind(i) == Kind.DOT ? 1 : 0;
    }
    return dots;
  }

  /**
   * Output 0's value and gradients (inputs and params) and every output's forward value, compiled
   * in both modes, against the interpreter: to the bit when exact, {@code ==} otherwise.
   */
  private static void assertMatches(
      List<Value> outputs, List<Value> x, List<Value> p, double[] xs, double[] ws) {
    double[] expected = Oracle.interpret(outputs.get(0), x, p, xs, ws);
    double[] expectedOutputs = new double[outputs.size()];
    for (int k = 0; k < outputs.size(); k++) {
      expectedOutputs[k] = outputs.get(k).forward();
    }

    for (JitOptions options : List.of(EXACT, DEFAULT, INTERPRETED)) {
      CompiledGraph g = Jit.compile(outputs, x, p, options);
      double[] actual = Oracle.compiled(g, xs, ws);
      double[] actualOutputs = new double[outputs.size()];
      g.forward(xs, ws, actualOutputs);
      double[] single = {g.forward(xs, ws)};
      double[] paramGrad = Oracle.startGrad(ws.length); // the program without input gradients
      double value = g.valueAndGrad(xs, ws, paramGrad);
      double[] withoutInputGrads = Oracle.concat(value, new double[0], paramGrad);
      double[] expectedWithout =
          Oracle.concat(
              expected[0],
              new double[0],
              Arrays.copyOfRange(expected, 1 + xs.length, expected.length));

      if (options.exact()) {
        Oracle.assertBitIdentical(expected, actual, "exact valueAndGrad");
        Oracle.assertBitIdentical(expectedWithout, withoutInputGrads, "exact, no input grads");
        Oracle.assertBitIdentical(expectedOutputs, actualOutputs, "exact forward");
        Oracle.assertBitIdentical(new double[] {expectedOutputs[0]}, single, "exact forward 0");
      } else {
        Oracle.assertSameNumbers(expected, actual, "default valueAndGrad");
        Oracle.assertSameNumbers(expectedWithout, withoutInputGrads, "default, no input grads");
        Oracle.assertSameNumbers(expectedOutputs, actualOutputs, "default forward");
      }
    }
  }

  private static double[] draw(SplittableRandom random, int n) {
    return random.doubles(n, -2, 2).toArray();
  }

  private static List<Value> concat(List<Value> a, List<Value> b) {
    List<Value> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  @Test
  void valueAndGrad_sameXInManyProductsAndAsTheHead_matchesTheInterpreter() {
    List<Value> x = leaves("x", 5);
    List<Value> w = leaves("w", 40);
    List<Value> xsOfProducts = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      xsOfProducts.add(x.get(i % 3 == 0 ? 0 : i % 5)); // x0 in every third product and others
    }
    Value dot = neuron(x.get(0), w, xsOfProducts, true);
    Value y = dot.tanh().add(x.get(0).mul(x.get(1))); // x0 read again after the sum
    SplittableRandom random = new SplittableRandom(1);

    assertEquals(1, dots(List.of(y), x, w));
    for (int trial = 0; trial < 5; trial++) {
      assertMatches(List.of(y), x, w, draw(random, 5), draw(random, 40));
    }
  }

  @Test
  void valueAndGrad_cancellingGradientsIntoARepeatedX_keepTheEnginesOrder() {
    // x0's gradient gains w_j·g per product, last product first: 1e16, then 1, then -1e16 from the
    // head's own products; any reordering changes the exact sum.
    List<Value> x = leaves("x", 2);
    List<Value> w = leaves("w", N);
    Value dot = neuron(x.get(1), w, Collections.nCopies(N, x.get(0)), false);
    Value y = dot.mul(1.0);
    double[] xs = {0.5, -0.25};
    double[] ws = new double[N];
    ws[0] = -1e16;
    ws[1] = 1;
    ws[2] = 1e16;
    ws[N - 1] = 0.75;

    double[] interpreted = Oracle.interpret(y, x, w, xs, ws);

    assertEquals(1, dots(List.of(y), x, w));
    assertEquals(0.0, interpreted[1], "x0's gradient, 0.25 + 0.75 + 1e16 + 1 - 1e16 in that order");
    assertMatches(List.of(y), x, w, xs, ws);
  }

  @Test
  void valueAndGrad_xsAreOtherParams_matchesTheInterpreter() {
    // x params read by two neurons each, so only the w qualify as weights; one neuron each side
    List<Value> xp = leaves("xp", N);
    List<Value> w1 = leaves("u", N);
    List<Value> w2 = leaves("v", N);
    Value b = Value.of(0, "b");
    Value n1 = neuron(b, w1, xp, true);
    Value n2 = neuron(b.mul(b), w2, xp, false);
    Value y = n1.mul(n2).add(xp.get(3).mul(n1));
    List<Value> params = concat(concat(xp, w1), concat(w2, List.of(b)));
    SplittableRandom random = new SplittableRandom(2);

    assertEquals(2, dots(List.of(y), List.of(), params));
    for (int trial = 0; trial < 3; trial++) {
      assertMatches(List.of(y), List.of(), params, new double[0], draw(random, params.size()));
    }
  }

  @Test
  void valueAndGrad_bothFactorsParamsReadOnce_matchesTheInterpreter() {
    // x·w with both listed params read once: either side could be the weights
    List<Value> a = leaves("a", N);
    List<Value> w = leaves("w", N);
    Value y = neuron(Value.of(0.5), w, a, false).sigmoid();
    List<Value> params = concat(a, w);
    SplittableRandom random = new SplittableRandom(3);

    assertEquals(1, dots(List.of(y), List.of(), params));
    assertMatches(List.of(y), List.of(), params, new double[0], draw(random, params.size()));
  }

  @Test
  void valueAndGrad_interleavedNeuronsAtManyStrides_matchesTheInterpreter() {
    SplittableRandom random = new SplittableRandom(4);
    List<Value> x = leaves("x", N);
    for (int stride : new int[] {2, 3, 7, 40}) {
      List<Value> params = leaves("p", stride * N);
      List<Value> outs = new ArrayList<>();
      for (int neuron = 0; neuron < Math.min(stride, 3); neuron++) {
        List<Value> w = new ArrayList<>();
        for (int j = 0; j < N; j++) {
          w.add(params.get(neuron + j * stride));
        }
        outs.add(neuron(x.get(neuron), w, x, neuron % 2 == 0).tanh());
      }
      for (int i = 3; stride > 3 && i < stride * N; i += stride) {
        outs.add(params.get(i)); // params between the neurons' read elsewhere
      }
      Value y = Value.sum(outs);

      assertEquals(Math.min(stride, 3), dots(List.of(y), x, params), "stride " + stride);
      assertMatches(List.of(y), x, params, draw(random, N), draw(random, params.size()));
    }
  }

  @Test
  void valueAndGrad_paramsListedInReverseAndSumReversed_matchesTheInterpreter() {
    List<Value> x = leaves("x", N);
    List<Value> reversedX = new ArrayList<>(x);
    Collections.reverse(reversedX);
    List<Value> w = leaves("w", N);
    List<Value> reversedW = new ArrayList<>(w);
    Collections.reverse(reversedW);
    List<Value> u = leaves("u", N);
    List<Value> reversedU = new ArrayList<>(u);
    Collections.reverse(reversedU);
    Value b = Value.of(0, "b");
    Value ascending = neuron(b, reversedW, reversedX, false); // param positions ascend: a DOT
    Value descending = neuron(b, u, x, true); // param positions descend: a sum
    List<Value> q = leaves("q", N);
    Value z = neuron(Value.of(1), q, reversedX, true);
    Value y = Value.sum(ascending.mul(descending.relu()), z);
    List<Value> params = concat(concat(reversedW, List.of(b)), concat(reversedU, q));
    SplittableRandom random = new SplittableRandom(5);

    assertEquals(2, dots(List.of(y), x, params));
    assertMatches(List.of(y), x, params, draw(random, N), draw(random, params.size()));
  }

  @Test
  void valueAndGrad_dotReadByManyNodesAndAnOutput_matchesTheInterpreter() {
    List<Value> x = leaves("x", N);
    List<Value> w = leaves("w", N);
    List<Value> v = leaves("v", N);
    Value dot = neuron(Value.of(0, "b"), w, x, true);
    Value dot2 = neuron(dot, v, x, false); // a DOT whose head is a DOT
    Value y0 = Value.sum(dot.tanh(), dot.mul(dot), dot2.exp().mul(dot), x.get(0).mul(dot2));
    List<Value> params = concat(concat(w, v), List.of(dot.child(0)));
    SplittableRandom random = new SplittableRandom(6);

    assertEquals(2, dots(List.of(y0, dot, dot2), x, params));
    for (int trial = 0; trial < 3; trial++) {
      double[] xs = random.doubles(N, -0.3, 0.3).toArray();
      double[] ws = random.doubles(params.size(), -0.3, 0.3).toArray();
      assertMatches(List.of(y0, dot, dot2), x, params, xs, ws);
      assertMatches(List.of(dot, y0), x, params, xs, ws);
      assertMatches(List.of(dot2, dot2), x, params, xs, ws);
    }
  }

  @Test
  void valueAndGrad_dotsUnderBranchesWithTies_matchesTheInterpreter() {
    List<Value> x = leaves("x", N);
    List<Value> w1 = leaves("a", N);
    List<Value> w2 = leaves("b", N);
    List<Value> w3 = leaves("c", N);
    Value d1 = neuron(Value.of(0), w1, x, true);
    Value d2 = neuron(Value.of(0), w2, x, true);
    Value d3 = neuron(x.get(5), w3, x, false);
    Value y =
        Value.sum(
            d1.max(d2),
            d1.min(d3),
            d2.clamp(-0.5, 0.5),
            Value.where(d1, d2, d3),
            d3.relu(),
            d1.abs());
    List<Value> params = concat(concat(w1, w2), w3);
    SplittableRandom random = new SplittableRandom(7);
    double[] xs = draw(random, N);
    double[] ws = draw(random, 3 * N);
    System.arraycopy(ws, 0, ws, N, N); // d1 == d2: max and min tie

    assertEquals(3, dots(List.of(y), x, params));
    assertMatches(List.of(y), x, params, xs, ws);
    double[] zeros = new double[3 * N];
    assertMatches(List.of(y), x, params, xs, zeros); // every DOT at 0: relu, abs, where at 0
  }

  @Test
  void valueAndGrad_nonFiniteAndSignedZeros_matchesTheInterpreter() {
    List<Value> x = leaves("x", N + 1);
    List<Value> w = leaves("w", N);
    List<Value> xs = x.subList(0, N);
    Value scale = x.get(N); // the upstream gradient's factor
    Value dot = neuron(Value.of(-0.0), w, xs, true);
    Value y = dot.mul(scale).add(dot.mul(dot).mul(0.0));
    double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0};
    SplittableRandom random = new SplittableRandom(8);

    assertEquals(1, dots(List.of(y), x, w));
    for (double s : specials) {
      for (int where = 0; where < 3; where++) {
        double[] in = draw(random, N + 1);
        double[] ws = draw(random, N);
        if (where == 0) {
          in[7] = s;
        } else if (where == 1) {
          ws[N - 1] = s;
        } else {
          in[N] = s; // NaN, ±Inf or -0.0 as the DOT's upstream gradient
        }
        assertMatches(List.of(y), x, w, in, ws);
      }
      double[] allZero = new double[N + 1];
      Arrays.fill(allZero, -0.0);
      allZero[N] = s;
      double[] negZeroWeights = new double[N];
      Arrays.fill(negZeroWeights, -0.0);
      assertMatches(List.of(y), x, w, allZero, negZeroWeights);
    }
  }

  @Test
  void valueAndGrad_zeroUpstreamIntoZeroedGradients_matchesTheSignOfEachZero() {
    List<Value> x = leaves("x", N);
    List<Value> w = leaves("w", N);
    Value y = neuron(Value.of(1), w, x, false).mul(-0.0);
    SplittableRandom random = new SplittableRandom(9);
    double[] xs = draw(random, N);
    double[] ws = draw(random, N);
    Values.setData(x, xs);
    Values.setData(w, ws);
    y.forward();
    Values.setGrads(x, new double[N]);
    Values.setGrads(w, new double[N]);
    y.backward();
    double[] expected = Oracle.concat(y.data(), Values.grads(x), Values.grads(w));
    CompiledGraph g = Jit.compile(List.of(y), x, w, EXACT);
    double[] ig = new double[N];
    double[] pg = new double[N];

    double value = g.valueAndGrad(xs, ws, ig, pg);

    assertEquals(1, dots(List.of(y), x, w));
    Oracle.assertBitIdentical(expected, Oracle.concat(value, ig, pg), "zeros from -0.0");
  }

  /** A two-layer net with x read before, between and after the second layer's sums. */
  private static List<Value> hiddenNet(List<Value> x, List<Value> params, int hidden) {
    List<Value> h = new ArrayList<>();
    for (int k = 0; k < hidden; k++) {
      List<Value> w = leaves("w" + k + "_", N);
      Value b = Value.of(0, "b" + k);
      params.addAll(w);
      params.add(b);
      h.add(neuron(b, w, x, k % 2 == 0).tanh());
    }
    List<Value> outs = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      List<Value> w = leaves("v" + k + "_", hidden);
      params.addAll(w);
      Value head = k == 0 ? h.get(0).mul(h.get(1)) : h.get(k); // a head reading x of its own DOT
      Value n = neuron(head, w, h, k != 1);
      outs.add(n.add(h.get(k).exp()));
    }
    outs.add(Value.sum(h.get(0), h.get(hidden - 1).mul(h.get(2))));
    return outs;
  }

  @Test
  void valueAndGrad_hiddenLayerXReadAroundTheSums_matchesTheInterpreter() {
    List<Value> x = leaves("x", N);
    List<Value> params = new ArrayList<>();
    List<Value> outs = hiddenNet(x, params, N + 1);
    Value y = Value.sum(outs.get(0).tanh(), outs.get(1).mul(outs.get(2)), outs.get(3));
    SplittableRandom random = new SplittableRandom(10);

    assertEquals(N + 1 + 3, dots(List.of(y), x, params));
    for (int trial = 0; trial < 2; trial++) {
      double[] ws = random.doubles(params.size(), -0.4, 0.4).toArray();
      assertMatches(List.of(y, outs.get(1)), x, params, draw(random, N), ws);
    }
  }

  @Test
  void valueAndGrad_productsOfADotAndOfPlainSumsOverTheSameX_matchesTheInterpreter() {
    List<Value> x = leaves("x", N);
    List<Value> wa = leaves("a", N);
    List<Value> wb = leaves("b", N - 1);
    List<Value> wc = leaves("c", N);
    Value dotA = neuron(Value.of(0.125), wa, x, true);
    Value plainB = neuron(Value.of(0.25), wb, x.subList(0, N - 1), true); // 31 products
    List<Value> xc = new ArrayList<>(x);
    xc.set(5, x.get(4).mul(2.0)); // read between x4's product and the sum: no DOT
    Value plainC = neuron(Value.of(0.5), wc, xc, false);
    Value y = Value.sum(dotA.tanh(), plainB.mul(dotA), plainC.sigmoid());
    List<Value> params = concat(concat(wa, wb), wc);
    SplittableRandom random = new SplittableRandom(11);

    assertEquals(1, dots(List.of(y), x, params));
    for (int trial = 0; trial < 3; trial++) {
      assertMatches(List.of(y), x, params, draw(random, N), draw(random, params.size()));
    }
  }

  private static CompiledGraph batchNet(List<Value> x, List<Value> params, JitOptions options) {
    List<Value> outs = hiddenNet(x, params, N);
    Value y = Value.sum(outs.get(0).tanh(), outs.get(1).mul(outs.get(2)), outs.get(3));
    assertEquals(N + 3, dots(List.of(y, outs.get(1)), x, params));
    return Jit.compile(List.of(y, outs.get(1)), x, params, options);
  }

  @Test
  void valueAndGradBatch_dotsAtEveryRowCount_equalBlockwiseSingleCalls() {
    for (JitOptions options : List.of(EXACT, DEFAULT)) {
      List<Value> x = leaves("x", N);
      List<Value> params = new ArrayList<>();
      CompiledGraph g = batchNet(x, params, options);
      SplittableRandom random = new SplittableRandom(12);
      double[] p = random.doubles(params.size(), -0.4, 0.4).toArray();
      int[] rowCounts = Arrays.copyOf(ROWS, ROWS.length + 1);
      rowCounts[ROWS.length] = LaneBatchTest.parallelRows(g); // split over threads
      for (int rows : rowCounts) {
        assertBatchesMatch(g, random, p, rows, options.exact() + ", " + rows + " rows");
      }
    }
  }

  @Test
  void readFrom_savedGraphWithDots_computesTheSameNumbers() throws IOException {
    for (JitOptions options : List.of(EXACT, DEFAULT)) {
      List<Value> x = leaves("x", N);
      List<Value> params = new ArrayList<>();
      CompiledGraph g = batchNet(x, params, options);

      CompiledGraph loaded = SavedGraphs.load(SavedGraphs.bytes(g), options);

      Oracle.assertBitIdentical(
          SavedGraphs.results(g, 13), SavedGraphs.results(loaded, 13), "exact " + options.exact());
      Oracle.assertBitIdentical(
          SavedGraphs.results(g, 14), SavedGraphs.results(loaded, 14), "exact " + options.exact());
    }
  }

  /** The smallest maxNodes at which {@code outputs} compile, by bisection. */
  private static int smallestLimit(List<Value> outputs, List<Value> x, List<Value> p, int hi) {
    int lo = 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      try {
        Jit.compile(outputs, x, p, EXACT.withMaxNodes(mid));
        hi = mid;
      } catch (GraphTooLargeException e) {
        lo = mid + 1;
      }
    }
    return lo;
  }

  @Test
  void compile_maxNodesAroundTheExpandedSize_countsDotsAsTheirProductsAndAdds() {
    List<Value> x = leaves("x", N);
    List<Value> params = new ArrayList<>();
    List<Value> outs = hiddenNet(x, params, 4);
    Value y = Value.sum(outs);
    List<Value> shuffled = new ArrayList<>(params);
    Collections.shuffle(shuffled, new Random(15)); // no evenly spaced weights: no DOTs

    long withDots = Lowering.expandedSize(Tracer.trace(List.of(y), x, params));
    long without = Lowering.expandedSize(Tracer.trace(List.of(y), x, shuffled));
    int limitWithDots = smallestLimit(List.of(y), x, params, 1 << 20);
    int limitWithout = smallestLimit(List.of(y), x, shuffled, 1 << 20);
    GraphTooLargeException e =
        assertThrows(
            GraphTooLargeException.class,
            () -> Jit.compile(List.of(y), x, params, EXACT.withMaxNodes((int) withDots - 1)));

    assertEquals(4, dots(List.of(y), x, params));
    assertEquals(0, dots(List.of(y), x, shuffled));
    assertEquals(without, withDots, "traced size");
    assertTrue(e.getMessage().contains("the traced graph has " + withDots), e.getMessage());
    assertTrue(limitWithDots >= withDots, limitWithDots + " < " + withDots);
    // in exact mode each traced product's adjoint is its own 0.0 + g; a DOT's products share one
    assertEquals(limitWithout - 4 * (N - 1), limitWithDots, "smallest maxNodes");
  }

  @Test
  void valueAndGrad_xsChainedFromLaterXs_matchesTheInterpreter() {
    // x_j = tanh(x_(j+1)): each x is read before its own product, by the previous x
    List<Value> x = leaves("x", 1);
    List<Value> w = leaves("w", N);
    List<Value> chain = new ArrayList<>(Collections.nCopies(N, x.get(0)));
    for (int j = N - 2; j >= 0; j--) {
      chain.set(j, chain.get(j + 1).tanh().mul(1.5));
    }
    Value y = neuron(chain.get(3), w, chain, true).mul(chain.get(0));
    SplittableRandom random = new SplittableRandom(16);

    assertEquals(1, dots(List.of(y), x, w));
    for (int trial = 0; trial < 3; trial++) {
      assertMatches(List.of(y), x, w, draw(random, 1), draw(random, N));
    }
  }

  @Test
  void valueAndGrad_engineDotWithAProductAsHead_formsADotFromThirtyTwoProducts() {
    List<Value> x = leaves("x", N + 1);
    List<Value> w = leaves("w", N + 1);
    Value d33 = Value.dot(w, x); // head w0·x0, then 32 products
    Value d32 = Value.dot(w.subList(0, N), x.subList(0, N)); // head, then 31 products
    SplittableRandom random = new SplittableRandom(17);

    assertEquals(1, dots(List.of(d33), x, w));
    assertEquals(0, dots(List.of(Value.dot(leaves("a", N), leaves("b", N))), List.of(), List.of()));
    assertMatches(List.of(d33), x, w, draw(random, N + 1), draw(random, N + 1));
    assertMatches(List.of(d32.mul(d33)), x, w, draw(random, N + 1), draw(random, N + 1));
  }

  @Test
  void valueAndGrad_dotOnlyInASecondOutput_leavesItsWeightsGradientsAlone() {
    List<Value> x = leaves("x", N);
    List<Value> w = leaves("w", N);
    Value d = neuron(x.get(0), w, x, true);
    Value y0 = x.get(1).mul(x.get(2)).tanh();
    SplittableRandom random = new SplittableRandom(18);

    assertEquals(1, dots(List.of(y0, d), x, w));
    assertMatches(List.of(y0, d), x, w, draw(random, N), draw(random, N));
  }

  @Test
  void valueAndGrad_aParamAtTheRunsNextPositionOnTheOtherSide_matchesTheInterpreter() {
    // the last product is p·v with p a listed param read once exactly where the run continues
    List<Value> x = leaves("x", N);
    List<Value> params = leaves("p", N + 1);
    List<Value> terms = new ArrayList<>(List.of(Value.of(0.5)));
    for (int j = 0; j < N - 1; j++) {
      terms.add(params.get(j).mul(x.get(j)));
    }
    terms.add(params.get(N - 1).mul(params.get(N).mul(x.get(N - 1))));
    Value y = Value.sum(terms).mul(params.get(N));
    SplittableRandom random = new SplittableRandom(19);

    assertEquals(1, dots(List.of(y), x, params));
    assertMatches(List.of(y), x, params, draw(random, N), draw(random, N + 1));
  }

  /** A wide neuron over permuted, repeated x, weights on the right three apart. */
  private static Value wide(List<Value> x, List<Value> params, SplittableRandom random) {
    int n = 300;
    List<Value> all = leaves("p", 3 * n);
    List<Value> w = new ArrayList<>();
    List<Value> xs = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      w.add(all.get(3 * j + 1));
      xs.add(x.get(random.nextInt(x.size())));
    }
    params.addAll(all);
    Value other = Value.sum(all.get(0), all.get(3 * n - 1)); // params off the run, read elsewhere
    return neuron(other, w, xs, false).tanh().add(x.get(0).mul(x.get(1)));
  }

  @Test
  void valueAndGradBatch_wideNeuronOverPermutedX_equalsBlockwiseSingleCallsAndInterpreter() {
    SplittableRandom random = new SplittableRandom(21);
    List<Value> x = leaves("x", 40);
    List<Value> params = new ArrayList<>();
    Value y = wide(x, params, random);
    double[] p = random.doubles(params.size(), -0.2, 0.2).toArray();

    assertEquals(1, dots(List.of(y), x, params));
    assertMatches(List.of(y), x, params, draw(random, 40), p);
    for (JitOptions options : List.of(EXACT, DEFAULT)) {
      CompiledGraph g = Jit.compile(List.of(y), x, params, options);
      for (int rows : ROWS) {
        double[] data = random.doubles(rows * 40, -2, 2).toArray();
        data[Math.min(rows - 1, 3) * 40 + 5] = Double.NaN;
        double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
        double[] grad = new double[p.length];

        double sum = g.valueAndGradBatch(data, rows, p, grad);

        Oracle.assertBitIdentical(
            expected, Oracle.concat(sum, new double[0], grad), options.exact() + ", " + rows);
      }
    }
  }

  /** A random graph of neuron layers over a pool of x: see the comments for what it mixes in. */
  private static List<Value> randomNeurons(
      SplittableRandom random, List<Value> x, List<Value> params) {
    List<Value> pool = new ArrayList<>(x);
    List<Value> free = leaves("f", 4); // listed params that are never weights
    List<Value> sums = new ArrayList<>();
    for (int layer = 0; layer < 1 + random.nextInt(2); layer++) {
      int stride = 1 + random.nextInt(3);
      int n = random.nextInt(8) == 0 ? 64 + random.nextInt(100) : N - 1 + random.nextInt(6);
      List<Value> weights = leaves("w" + layer + "_", stride * n);
      if (random.nextInt(4) == 0) {
        Collections.reverse(weights);
      }
      params.addAll(weights);
      List<Value> made = new ArrayList<>();
      for (int k = 0; k < stride; k++) {
        Value head =
            switch (random.nextInt(4)) {
              case 0 -> pool.get(random.nextInt(pool.size()));
              case 1 -> Value.of(random.nextDouble());
              case 2 -> sums.isEmpty() ? free.get(0) : sums.get(sums.size() - 1); // a DOT
              default -> pool.get(random.nextInt(pool.size())).mul(2.0);
            };
        boolean left = random.nextBoolean();
        List<Value> terms = new ArrayList<>(List.of(head));
        for (int j = 0; j < n; j++) {
          Value w = weights.get(k + j * stride);
          Value xj =
              switch (random.nextInt(random.nextBoolean() ? 12 : 200)) {
                case 0 -> pool.get(random.nextInt(pool.size())).tanh(); // a fresh reader
                case 2 -> free.get(random.nextInt(free.size())); // a param as x
                case 3 -> head;
                default -> pool.get(random.nextInt(pool.size()));
              };
          boolean side = random.nextInt(400) == 0 ? !left : left; // rarely: one on the other side
          terms.add(side ? w.mul(xj) : xj.mul(w));
        }
        Value sum = Value.sum(terms);
        sums.add(sum);
        made.add(random.nextBoolean() ? sum.tanh() : sum.relu());
      }
      for (int e = 0; e < 3; e++) {
        Value a = pool.get(random.nextInt(pool.size()));
        pool.add(random.nextBoolean() ? a.sigmoid() : a.mul(pool.get(0)));
      }
      pool.addAll(made);
    }
    params.addAll(free);
    List<Value> terms = new ArrayList<>(sums);
    for (int e = 0; e < 4; e++) {
      terms.add(pool.get(random.nextInt(pool.size())).mul(0.5));
    }
    Collections.shuffle(terms, new Random(random.nextLong()));
    Value y = Value.sum(terms);
    return random.nextBoolean() ? List.of(y) : List.of(y, sums.get(random.nextInt(sums.size())));
  }

  /** Asserts that both batch calls at {@code rows} rows equal single calls, to the bit. */
  private static void assertBatchesMatch(
      CompiledGraph g, SplittableRandom random, double[] p, int rows, String what) {
    int inputs = g.inputCount();
    int outputs = g.outputCount();
    double[] data = random.doubles(rows * inputs, -2, 2).toArray();
    double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
    double[] expectedOut = new double[rows * outputs];
    for (int r = 0; r < rows; r++) {
      double[] out = new double[outputs];
      g.forward(Arrays.copyOfRange(data, r * inputs, (r + 1) * inputs), p, out);
      System.arraycopy(out, 0, expectedOut, outputs * r, outputs);
    }
    double[] grad = new double[p.length];
    double[] outRows = new double[rows * outputs];

    double sum = g.valueAndGradBatch(data, rows, p, grad);
    g.forwardBatch(data, rows, p, outRows);

    Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), what);
    Oracle.assertBitIdentical(expectedOut, outRows, what + ", forwardBatch");
  }

  /** Asserts that a saved and loaded copy of {@code g} computes the same numbers. */
  private static void assertSavedGraphMatches(CompiledGraph g, long seed) {
    CompiledGraph loaded;
    try {
      loaded = SavedGraphs.load(SavedGraphs.bytes(g), EXACT);
    } catch (IOException e) {
      throw new AssertionError(e);
    }

    Oracle.assertBitIdentical(
        SavedGraphs.results(g, seed), SavedGraphs.results(loaded, seed), "saved and loaded");
  }

  @Test
  void valueAndGrad_randomNeuronGraphs_matchTheInterpreter() {
    SplittableRandom random = new SplittableRandom(Long.getLong("dotAdversarial.seed", 22));
    int formed = 0;
    for (int c = 0; c < RANDOM_CASES; c++) {
      int inputs = 1 + random.nextInt(40);
      List<Value> x = leaves("x", inputs);
      List<Value> params = new ArrayList<>();
      List<Value> outputs = randomNeurons(random, x, params);
      double[] xs = draw(random, inputs);
      double[] ws = random.doubles(params.size(), -0.5, 0.5).toArray();
      if (random.nextInt(5) == 0) {
        double[] special = {Double.NaN, Double.POSITIVE_INFINITY, -0.0, 0.0};
        ws[random.nextInt(ws.length)] = special[random.nextInt(special.length)];
        xs[random.nextInt(xs.length)] = special[random.nextInt(special.length)];
      }
      formed += dots(outputs, x, params);

      assertMatches(outputs, x, params, xs, ws);
      if (c % 4 == 0) {
        CompiledGraph g = Jit.compile(outputs, x, params, EXACT);
        assertBatchesMatch(g, random, ws, 17, "case " + c);
        assertSavedGraphMatches(g, random.nextLong());
      }
    }

    assertTrue(formed >= RANDOM_CASES / 2, "DOTs formed: " + formed);
  }

  @Test
  void valueAndGrad_weightsTimesConstants_matchesTheInterpreter() {
    // x are unlisted leaves, so constants: 1, -1, 0, -0.0, NaN, ±Inf, a shared one
    double[] special = {
      1, -1, 0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.5
    };
    Value shared = Value.of(3);
    List<Value> w = leaves("w", N + 8);
    List<Value> consts = new ArrayList<>();
    for (int j = 0; j < N + 8; j++) {
      consts.add(j < special.length ? Value.of(special[j]) : j % 2 == 0 ? shared : Value.of(j));
    }
    List<Value> x = leaves("x", 1);
    Value left = neuron(x.get(0), w.subList(0, N + 4), consts.subList(0, N + 4), true);
    List<Value> tail = leaves("t", N);
    Value right = neuron(Value.of(-0.0), tail, consts.subList(8, N + 8), false);
    Value y = Value.sum(left.mul(x.get(0)), right.tanh());
    List<Value> params = concat(w, tail);
    SplittableRandom random = new SplittableRandom(23);

    assertEquals(2, dots(List.of(y), x, params));
    for (int trial = 0; trial < 3; trial++) {
      assertMatches(List.of(y), x, params, draw(random, 1), draw(random, params.size()));
    }
    double[] zeros = new double[params.size()];
    Arrays.fill(zeros, -0.0);
    assertMatches(List.of(y), x, params, new double[] {-0.0}, zeros);
  }

  @Test
  void trace_oneXInEveryProductOfAWideSum_runsInLinearTime() {
    // Dots.alone walks, per product, x's readers up to the sum: with one x in all n products that
    // is n²/2 steps (80,000 products took 2 s, 40,000 took 0.5 s); the hang detector allows 10 s
    // for 300,000, which a linear pass traces in well under one
    int n = 300_000;
    Value x = Value.of(0.5, "x");
    List<Value> w = new ArrayList<>();
    List<Value> terms = new ArrayList<>(List.of(Value.of(0.25)));
    for (int j = 0; j < n; j++) {
      Value wj = Value.of(0, "w" + j);
      w.add(wj);
      terms.add(wj.mul(x));
    }
    Value y = Value.sum(terms);

    Program traced =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10), () -> Tracer.trace(List.of(y), List.of(x), w));

    assertEquals(Kind.DOT, traced.kind(traced.size - 1), "one DOT over x and the constant");
  }
}
