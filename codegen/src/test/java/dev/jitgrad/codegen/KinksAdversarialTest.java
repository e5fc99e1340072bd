package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BinaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Kinks, ties and extremes reached at run time: inputs and params (not constants) at the points
 * where an op's derivative is a convention (relu and abs at ±0, max and min at ties and signed
 * zeros, clamp at its bounds, where at a zero or NaN condition, pow at a zero base) or where it
 * overflows or cancels (exp, sigmoid, softplus, tanh at large arguments, log and division at ±0),
 * including kink gradients multiplied by an infinity. Every compiled path of both modes and both
 * backends ({@code forward}, {@code valueAndGrad}, the batches at 1, 16, 17 and 40 rows, a graph
 * read back) is checked against the engine through {@link SpecialConstantsAdversarialTest}'s
 * harness; the build runs this class in both lane forms (plain and Vector API).
 */
class KinksAdversarialTest {
  private static final double[] VALUES = {
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    -8.0,
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    1000,
    -1000,
    800,
    -800,
    710,
    -746,
    Double.MIN_VALUE,
    -Double.MIN_VALUE,
    Double.MAX_VALUE
  };

  /**
   * The finite, moderate ones among {@link #VALUES}: batches of these rows show kink gradients that
   * a single NaN or infinite row would hide in its block's sum.
   */
  private static final double[] MODERATE =
      Arrays.stream(VALUES).filter(v -> Math.abs(v) <= 1000).toArray();

  private static final int[] BATCH_ROWS = {1, 16, 17, 40};

  /** Param vectors to run each graph with: all at a kink value, then random draws. */
  private static final double[] PARAM_FILLS = {
    1.0, 0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY
  };

  @Test
  void compile_branchingOpsAtRuntimeKinksAndTies_everyPathMatchesEngine() {
    SpecialConstantsAdversarialTest.Terms t = new SpecialConstantsAdversarialTest.Terms();
    List<BinaryOperator<Value>> ties = List.of(Value::max, Value::min);
    for (BinaryOperator<Value> op : ties) {
      t.pair(op);
      t.pair((x, w) -> op.apply(w, x));
      t.pair((x, w) -> op.apply(x, x).mul(w));
      t.pair((x, w) -> op.apply(x.mul(w), x.mul(w)));
      t.pair((x, w) -> op.apply(x, x.neg()).mul(w));
      t.pair((x, w) -> op.apply(x.neg(), w.neg()));
      t.pair((x, w) -> Value.of(1.0).div(op.apply(x, w)));
      t.pair((x, w) -> op.apply(x, w).mul(Value.of(Double.POSITIVE_INFINITY)));
    }
    t.pair((x, w) -> x.mul(w).relu());
    t.pair((x, w) -> w.relu().mul(x));
    t.pair((x, w) -> x.relu().mul(w));
    t.pair((x, w) -> Value.of(1.0).div(x.relu()).mul(w));
    t.pair((x, w) -> x.abs().mul(w));
    t.pair((x, w) -> w.abs().mul(x));
    t.pair((x, w) -> x.mul(w).abs());
    t.pair((x, w) -> x.abs().abs().mul(w.relu().relu()));
    for (double[] b : new double[][] {{-1, 1}, {-0.0, 0.0}, {0.0, 1}, {-1, -0.0}, {0.5, 0.5}}) {
      t.pair((x, w) -> x.clamp(b[0], b[1]).mul(w));
      t.pair((x, w) -> w.clamp(b[0], b[1]).mul(x));
      t.pair((x, w) -> Value.of(1.0).div(x.mul(w).clamp(b[0], b[1])));
    }
    t.pair((x, w) -> Value.where(x, w, w.neg()));
    t.pair((x, w) -> Value.where(w, x, x.mul(w)));
    t.pair((x, w) -> Value.where(x.mul(w), x, w));
    t.pair((x, w) -> Value.where(x, x.log(), w).mul(w));

    assertMatchesEngine(t, 3);
  }

  @Test
  void compile_smoothOpsAtZerosAndExtremes_everyPathMatchesEngine() {
    SpecialConstantsAdversarialTest.Terms t = new SpecialConstantsAdversarialTest.Terms();
    for (double k : new double[] {0, 0.5, 1, 2, -1, 3, 1.0 / 3, -0.5, 2.5, -2}) {
      t.pair((x, w) -> x.mul(w).pow(k));
      t.pair((x, w) -> w.pow(k).mul(x));
      t.pair((x, w) -> Value.of(1.0).div(x.pow(k)).mul(w));
    }
    t.pair((x, w) -> x.mul(w).log());
    t.pair((x, w) -> w.log().mul(x));
    t.pair((x, w) -> x.log().mul(w));
    t.pair((x, w) -> x.mul(w).exp());
    t.pair((x, w) -> x.exp().mul(w));
    t.pair((x, w) -> x.mul(w).tanh());
    t.pair((x, w) -> x.tanh().mul(w));
    t.pair((x, w) -> x.mul(w).sigmoid());
    t.pair((x, w) -> x.sigmoid().mul(w));
    t.pair((x, w) -> x.mul(w).softplus());
    t.pair((x, w) -> x.softplus().mul(w));
    t.pair((x, w) -> x.neg().softplus().sub(x.softplus()).mul(w));
    t.pair((x, w) -> x.div(w));
    t.pair((x, w) -> w.div(x));
    t.pair((x, w) -> Value.of(1.0).div(x.mul(w)));
    t.pair((x, w) -> x.div(x).mul(w));

    assertMatchesEngine(t, 5);
  }

  @Test
  void compile_kinkGradientsTimesInfinityOrZero_everyPathMatchesEngine() {
    SpecialConstantsAdversarialTest.Terms t = new SpecialConstantsAdversarialTest.Terms();
    t.pair((x, w) -> Value.sum(x.relu(), x.abs(), x.max(w), x.min(w), x.clamp(-0.0, 0.0)).mul(w));
    t.pair((x, w) -> Value.sum(x.relu().mul(w), x.abs().mul(w), x.neg().relu().mul(w)));
    t.pair((x, w) -> x.relu().mul(w.exp()));
    t.pair((x, w) -> x.abs().mul(w.log()));
    t.pair((x, w) -> x.max(w).mul(Value.of(1.0).div(x)));
    t.pair((x, w) -> Value.where(x, w, x).mul(w.div(x)));
    t.pair((x, w) -> x.clamp(0.0, 1).mul(x.log()).add(w.mul(Value.of(0.0))));
    t.pair((x, w) -> x.relu().pow(0.5).mul(w));
    t.pair((x, w) -> x.abs().pow(-1).mul(w.relu()));

    assertMatchesEngine(t, 7);
  }

  @Test
  void compile_kinksAroundLongSumsOfProducts_laneChainsMatchEngine() {
    assertKinksAroundSumsMatchEngine(false);
  }

  @Test
  void compile_kinksAroundDots_everyPathMatchesEngine() {
    assertKinksAroundSumsMatchEngine(true);
  }

  private static void assertKinksAroundSumsMatchEngine(boolean dots) {
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    List<Value> outputs = kinksAroundSums(inputs, params, dots);

    for (int fill = 0; fill < 3; fill++) {
      for (double[] values : List.of(VALUES, MODERATE)) {
        SpecialConstantsAdversarialTest.assertMatchesEngine(
            outputs,
            inputs,
            params,
            points(inputs.size(), 11 + fill, values),
            params(params.size(), fill, 11 + fill),
            BATCH_ROWS);
      }
    }
  }

  @Test
  void emit_kinksAroundLongSumsOfProducts_runAsLaneChainsInBothModes() {
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    Value loss = kinksAroundSums(inputs, params, false).get(0);
    LoopFormsTest.Graph graph = new LoopFormsTest.Graph(loss, inputs, params);

    for (boolean exact : new boolean[] {true, false}) {
      // forwardBatch's program, then valueAndGradBatch's (params only; the third has input grads)
      for (Program p : graph.programs(JitOptions.defaults().withExact(exact)).subList(0, 2)) {
        LaneEmitter.Code code = LaneEmitter.emit(p, new Layout(p));

        String mode = exact ? "exact" : "default";
        assertTrue(code != null && code.chainStatements() > 0, mode + ": no lane chain in\n" + p);
      }
    }
  }

  /**
   * Sums of 16 products of an input and a param (or dots of the same, with {@code dots}) under each
   * kink op: the outputs are their sum, then each.
   */
  private static List<Value> kinksAroundSums(List<Value> inputs, List<Value> params, boolean dots) {
    List<Value> outputs = new ArrayList<>();
    for (int s = 0; s < 10; s++) {
      List<Value> terms = new ArrayList<>();
      int start = inputs.size();
      SpecialConstantsAdversarialTest.addProducts(terms, s, 16, inputs, params);
      Value sum =
          dots
              ? Value.dot(params.subList(start, start + 16), inputs.subList(start, start + 16))
              : Value.sum(terms);
      Value other = params.get(params.size() - 1 - s);
      Value around =
          switch (s) {
            case 0 -> sum.relu();
            case 1 -> sum.abs();
            case 2 -> sum.max(other);
            case 3 -> other.min(sum);
            case 4 -> sum.clamp(-0.0, 0.0);
            case 5 -> Value.where(sum, sum, other);
            case 6 -> sum.pow(0.5);
            case 7 -> sum.log();
            case 8 -> Value.of(1.0).div(sum);
            default -> sum.softplus().add(sum.sigmoid());
          };
      outputs.add(around);
    }
    outputs.add(0, Value.sum(outputs));
    return outputs;
  }

  /**
   * Checks the terms {@code f(x_i, w_i)} of {@code t} against the engine: the outputs are {@code Σ
   * f(x_i, w_i)} followed by every term, at each param fill, over all values and moderate ones.
   */
  private static void assertMatchesEngine(SpecialConstantsAdversarialTest.Terms t, long seed) {
    List<Value> outputs = new ArrayList<>();
    outputs.add(Value.sum(t.terms));
    outputs.addAll(t.terms);
    for (int fill = 0; fill < PARAM_FILLS.length + 2; fill++) {
      for (double[] values : List.of(VALUES, MODERATE)) {
        SpecialConstantsAdversarialTest.assertMatchesEngine(
            outputs,
            t.inputs,
            t.params,
            points(t.inputs.size(), seed + fill, values),
            params(t.params.size(), fill, seed + fill),
            BATCH_ROWS);
      }
    }
  }

  /**
   * Params: all {@code PARAM_FILLS[fill]}, or past the fills each drawn from {@link #VALUES}, so a
   * param and an input often hold the same value.
   */
  private static double[] params(int n, int fill, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] p = new double[n];
    for (int i = 0; i < n; i++) {
      p[i] = fill < PARAM_FILLS.length ? PARAM_FILLS[fill] : VALUES[random.nextInt(VALUES.length)];
    }
    return p;
  }

  /**
   * Rows of inputs: each of {@code values} in every input, then alternating with its negation (so
   * sums of products with equal params cancel to zero), then rows drawn from them.
   */
  private static double[][] points(int n, long seed, double[] values) {
    SplittableRandom random = new SplittableRandom(seed);
    int m = values.length;
    double[][] rows = new double[2 * m + 6][n];
    for (int r = 0; r < rows.length; r++) {
      for (int i = 0; i < n; i++) {
        rows[r][i] =
            r < m
                ? values[r]
                : r < 2 * m
                    ? (i % 2 == 0 ? values[r - m] : -values[r - m])
                    : values[random.nextInt(m)];
      }
    }
    return rows;
  }
}
