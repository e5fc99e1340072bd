package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.fail;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Constants inside operations, end to end: special POW exponents, CLAMP bounds and unlisted leaves
 * (IR constants) in every operand position of every op, repeated so that merging, reverse mode's
 * constant table and folding all meet them. Every compiled path of both modes is checked against
 * the engine at the same points: {@code forward} (every output), {@code valueAndGrad} (params only,
 * and with inputs), {@code forwardBatch} and {@code valueAndGradBatch} at 1, 17 and 40 rows (tests
 * set {@code jitgrad.laneMinInstructions} to 0, so blocks of 8 or more rows run lane code), and a
 * graph read back by {@code writeTo}/{@code readFrom}. Exact mode must give the engine's bits (NaN
 * payloads aside); default mode its numbers within 1e-9, NaN for NaN, infinities and the signs of
 * zero outputs included.
 */
class SpecialConstantsAdversarialTest {
  private static final double QUIET_NAN_PAYLOAD = Double.longBitsToDouble(0x7ff8_0000_0000_0123L);
  private static final double NEGATIVE_NAN = Double.longBitsToDouble(0xfff8_0000_0000_0000L);
  private static final double SIGNALLING_NAN = Double.longBitsToDouble(0x7ff0_0000_0000_0001L);

  /** Values for operands and constant leaves. */
  private static final double[] SPECIAL = {
    0.0,
    -0.0,
    1.0,
    -1.0,
    2.0,
    0.5,
    -3.75,
    Double.NaN,
    QUIET_NAN_PAYLOAD,
    NEGATIVE_NAN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    Double.MIN_VALUE,
    -Double.MIN_VALUE,
    Double.MIN_NORMAL,
    Double.MAX_VALUE,
    -Double.MAX_VALUE,
    1e-300,
    1e300
  };

  /** POW exponents. */
  private static final double[] EXPONENTS = {
    0.0,
    -0.0,
    1.0,
    -1.0,
    2.0,
    3.0,
    0.5,
    -0.5,
    1.0 / 3,
    Math.nextUp(1.0),
    Math.nextDown(1.0),
    Double.NaN,
    QUIET_NAN_PAYLOAD,
    SIGNALLING_NAN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    Double.MIN_VALUE,
    -Double.MIN_VALUE,
    Double.MAX_VALUE,
    -Double.MAX_VALUE,
    1e-300,
    1e300,
    1075,
    -1075
  };

  /** CLAMP bounds the engine accepts ({@code lo <= hi}, neither NaN): equal, signed zeros, ±∞. */
  private static final double[][] BOUNDS = {
    {-1, -0.0},
    {-0.0, 0.0},
    {0.0, -0.0},
    {-0.0, -0.0},
    {0.0, 0.0},
    {1, 1},
    {-0.0, 1},
    {0.0, 1},
    {-1, 0.0},
    {Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY},
    {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY},
    {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY},
    {Double.NEGATIVE_INFINITY, -0.0},
    {0.0, Double.POSITIVE_INFINITY},
    {-Double.MIN_VALUE, Double.MIN_VALUE},
    {Double.MIN_VALUE, Double.MIN_VALUE},
    {-Double.MAX_VALUE, Double.MAX_VALUE},
    {Double.MAX_VALUE, Double.MAX_VALUE}
  };

  private static final int[] BATCH_ROWS = {1, 17, 40};

  @Test
  void compile_specialPowExponents_everyPathMatchesEngine() {
    Terms t = new Terms();
    for (double k : EXPONENTS) {
      t.term(x -> x.pow(k));
      t.term(x -> x.pow(k)); // the same exponent again: merged in default mode
      t.term(x -> x.abs().pow(k).pow(k));
      t.term(x -> Value.of(1.0).div(x.pow(k))); // 1/x^k shows a zero's sign
      for (double c : new double[] {0.0, -0.0, -1.0, 2.0, Double.NEGATIVE_INFINITY, Double.NaN}) {
        t.term(x -> x.mul(Value.of(c).pow(k))); // folded, or not in exact mode
      }
      t.term(x -> x.pow(k).add(Value.of(k))); // a leaf that is the exponent itself
    }

    t.assertMatchesEngine();
  }

  @Test
  void compile_specialClampBounds_everyPathMatchesEngine() {
    Terms t = new Terms();
    for (double[] b : BOUNDS) {
      t.term(x -> x.clamp(b[0], b[1]));
      t.term(x -> Value.of(1.0).div(x.clamp(b[0], b[1]))); // the zero's sign, as 1/0
      t.term(x -> x.clamp(b[0], b[1]).clamp(b[0], b[1]));
      t.term(x -> x.clamp(b[0], b[1]).add(x.clamp(b[1], Math.max(b[1], 5))));
      for (double c : new double[] {0.0, -0.0, -5, 5, Double.NaN, Double.NEGATIVE_INFINITY}) {
        t.term(x -> x.mul(Value.of(1.0).div(Value.of(c).clamp(b[0], b[1]))));
      }
    }

    t.assertMatchesEngine();
  }

  @Test
  void compile_constantLeavesInEveryBinaryPosition_everyPathMatchesEngine() {
    List<BinaryOperator<Value>> ops =
        List.of(Value::add, Value::sub, Value::mul, Value::div, Value::max, Value::min);
    Terms t = new Terms();
    for (BinaryOperator<Value> op : ops) {
      for (double c : SPECIAL) {
        t.term(x -> op.apply(x, Value.of(c)));
        t.term(x -> op.apply(Value.of(c), x));
        t.term(x -> Value.of(1.0).div(op.apply(x, Value.of(c))));
        t.term(x -> Value.of(1.0).div(op.apply(Value.of(c), x)));
        t.term(x -> x.mul(op.apply(Value.of(c), Value.of(c))));
        t.term(x -> x.add(op.apply(Value.of(c), Value.of(-0.0))));
        t.term(x -> op.apply(op.apply(x, Value.of(c)), Value.of(c)));
      }
    }

    t.assertMatchesEngine();
  }

  @Test
  void compile_constantLeavesUnderEveryUnaryOp_everyPathMatchesEngine() {
    List<UnaryOperator<Value>> ops =
        List.of(
            Value::neg,
            Value::exp,
            Value::log,
            Value::tanh,
            Value::relu,
            Value::sigmoid,
            Value::softplus,
            Value::abs,
            v -> v.neg().neg());
    Terms t = new Terms();
    for (UnaryOperator<Value> op : ops) {
      for (double c : SPECIAL) {
        t.term(x -> x.mul(op.apply(Value.of(c))));
        t.term(x -> Value.of(1.0).div(op.apply(Value.of(c)).add(x.mul(Value.of(0.0)))));
        t.term(x -> op.apply(x.mul(Value.of(c))));
      }
    }

    t.assertMatchesEngine();
  }

  @Test
  void compile_constantLeavesInWhereAndSum_everyPathMatchesEngine() {
    Terms t = new Terms();
    for (double c : SPECIAL) {
      t.term(x -> Value.where(Value.of(c), x, x.neg()));
      t.term(x -> Value.where(x, Value.of(c), x));
      t.term(x -> Value.where(x, x, Value.of(c)));
      t.term(x -> Value.where(x, Value.of(c), Value.of(-c)));
      t.term(x -> x.mul(Value.where(Value.of(c), Value.of(c), Value.of(-0.0))));
      t.term(x -> Value.sum(Value.of(c), Value.of(c), x));
      t.term(x -> Value.sum(Value.of(-0.0), x, Value.of(c)));
      t.term(x -> Value.sum(x, Value.of(-0.0), Value.of(c), Value.of(-0.0)));
      t.term(x -> Value.sum(Value.of(-0.0), Value.of(-0.0), x));
      t.term(x -> Value.sum(x));
      t.term(x -> Value.of(1.0).div(Value.sum(Value.of(c), Value.of(-0.0), x)));
      t.term(x -> x.mul(Value.sum(Value.of(c), Value.of(-0.0), Value.of(c))));
      t.term(x -> x.mul(Value.sum(Value.of(-0.0), Value.of(-0.0))));
    }

    t.assertMatchesEngine();
  }

  @Test
  void compile_dotsOverConstantLeaves_everyPathMatchesEngine() {
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    List<Value> outputs = new ArrayList<>();
    List<Value> heads = new ArrayList<>();
    for (int unit = 0; unit < 4; unit++) {
      List<Value> weights = new ArrayList<>();
      List<Value> xs = new ArrayList<>();
      for (int j = 0; j < 40; j++) {
        Value w = Value.of(0, "w" + unit + "_" + j);
        weights.add(w);
        params.add(w);
        Value x = Value.of(0, "x" + unit + "_" + j);
        boolean constant = (j + unit) % 3 != 0;
        xs.add(constant ? Value.of(SPECIAL[(j * 7 + unit) % SPECIAL.length]) : x);
        if (!constant) {
          inputs.add(x);
        }
      }
      heads.add(unit % 2 == 0 ? Value.dot(weights, xs) : Value.dot(xs, weights));
    }
    outputs.add(Value.sum(heads));
    outputs.addAll(heads);

    assertMatchesEngine(outputs, inputs, params, points(inputs.size(), 7), 0.25);
  }

  @Test
  void compile_manyCopiesOfConstantTerms_rolledAndLaneCodeMatchEngine() {
    Terms t = new Terms();
    for (int copy = 0; copy < 150; copy++) {
      t.term(x -> x.pow(-0.0).add(Value.of(-0.0)));
      t.term(x -> Value.of(1.0).div(x.clamp(-1, -0.0)));
      t.term(x -> x.mul(Value.of(-1.0)).pow(Double.MIN_VALUE));
      t.term(x -> x.max(Value.of(-0.0)).sub(Value.of(0.0)));
    }

    t.assertMatchesEngine();
  }

  @Test
  void compile_constantsAroundLongSumsOfProducts_laneChainsMatchEngine() {
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    List<Value> outputs = new ArrayList<>();
    for (int s = 0; s < 12; s++) {
      double c = SPECIAL[(5 * s + 1) % SPECIAL.length];
      double k = EXPONENTS[(7 * s + 1) % EXPONENTS.length];
      double[] b = BOUNDS[(3 * s) % BOUNDS.length];
      Value bias = Value.of(0, "b" + s);
      params.add(bias);
      List<Value> terms = new ArrayList<>();
      terms.add(bias);
      addProducts(terms, s, s < 8 ? 16 : 40, inputs, params);
      Value sum = Value.sum(terms);
      Value around =
          switch (s % 4) {
            case 0 -> sum.mul(Value.of(c)).add(Value.of(-0.0));
            case 1 -> Value.of(c).div(sum.pow(k));
            case 2 -> sum.clamp(b[0], b[1]).sub(Value.of(c));
            default -> Value.where(Value.of(c), sum, Value.of(-c)).max(Value.of(c));
          };
      outputs.add(around);
    }
    outputs.add(0, Value.sum(outputs));

    assertMatchesEngine(outputs, inputs, params, points(inputs.size(), 11), 0.75);
  }

  /**
   * Adds {@code n} products of a fresh input and a fresh param to {@code terms} ({@code w·x} for an
   * even sum {@code s}, {@code x·w} for an odd one), the long sums that lane code runs as chains.
   */
  static void addProducts(List<Value> terms, int s, int n, List<Value> inputs, List<Value> params) {
    for (int j = 0; j < n; j++) {
      Value x = Value.of(0, "x" + s + "_" + j);
      Value w = Value.of(0, "w" + s + "_" + j);
      inputs.add(x);
      params.add(w);
      terms.add(s % 2 == 0 ? w.mul(x) : x.mul(w));
    }
  }

  @Test
  void compile_dotsOfRepeatedConstantLeaves_rolledUpdatesMatchEngine() {
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    List<Value> heads = new ArrayList<>();
    Value shared = Value.of(-0.0);
    for (int unit = 0; unit < 12; unit++) {
      double c = SPECIAL[(3 * unit) % SPECIAL.length];
      List<Value> weights = new ArrayList<>();
      List<Value> xs = new ArrayList<>();
      for (int j = 0; j < 64; j++) {
        Value w = Value.of(0, "w" + unit + "_" + j);
        weights.add(w);
        params.add(w);
        if (unit % 3 == 2 && j % 2 == 1) {
          Value x = Value.of(0, "x" + unit + "_" + j);
          inputs.add(x);
          xs.add(x);
        } else {
          xs.add(unit % 4 == 1 ? shared : Value.of(c));
        }
      }
      Value head = unit % 2 == 0 ? Value.of(c) : shared;
      List<Value> terms = new ArrayList<>();
      terms.add(head);
      for (int j = 0; j < 64; j++) {
        terms.add(weights.get(j).mul(xs.get(j)));
      }
      heads.add(unit % 3 == 0 ? Value.dot(weights, xs) : Value.sum(terms).tanh());
    }
    List<Value> outputs = new ArrayList<>();
    outputs.add(Value.sum(heads));
    outputs.addAll(heads);

    assertMatchesEngine(outputs, inputs, params, points(inputs.size(), 13), 0.5);
  }

  @Test
  void compile_constantOutputsAndSharedConstantLeaves_everyPathMatchesEngine() {
    Terms t = new Terms();
    for (double c : SPECIAL) {
      Value shared = Value.of(c);
      t.term(x -> shared);
      t.term(x -> Value.sum(shared));
      t.term(x -> shared.pow(0.5).clamp(-0.0, 0.0));
      t.term(x -> x.mul(shared).add(shared).div(shared).max(shared).min(shared));
      t.term(x -> Value.where(shared, shared, x).sub(shared));
      t.term(x -> Value.sum(shared, x, shared, shared.mul(x), shared));
    }

    t.assertMatchesEngine();
  }

  @Test
  void compile_hundredsOfDistinctConstants_everyPathMatchesEngine() {
    Terms t = new Terms();
    for (int i = 0; i < 300; i++) {
      double k = (i - 150) / 16.0 + (i % 2 == 0 ? 0 : Math.ulp(1.0) * i);
      double lo = -i / 7.0;
      double hi = i % 3 == 0 ? -lo : Math.nextUp(lo);
      t.term(x -> x.abs().pow(k).clamp(lo, hi).add(Value.of(k)));
      t.term(x -> x.pow(Math.nextUp(k)).mul(Value.of(-k)));
    }

    t.assertMatchesEngine();
  }

  @Test
  void compile_randomGraphsOverSpecialConstants_everyPathMatchesEngine() {
    for (long seed = 0; seed < 24; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      List<Value> inputs = new ArrayList<>();
      List<Value> params = new ArrayList<>();
      List<Value> pool = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Value x = Value.of(0, "x" + i);
        Value w = Value.of(0, "w" + i);
        inputs.add(x);
        params.add(w);
        pool.add(x);
        pool.add(w);
      }
      for (int n = 0; n < 60; n++) {
        pool.add(randomOp(random, pool));
      }
      List<Value> outputs = new ArrayList<>(pool.subList(pool.size() - 12, pool.size()));
      outputs.add(0, Value.sum(outputs));

      assertMatchesEngine(outputs, inputs, params, points(inputs.size(), seed), 1.0);
    }
  }

  /** Returns a random op over earlier values (recent ones more often) and special constants. */
  private static Value randomOp(SplittableRandom random, List<Value> pool) {
    Value a = pick(random, pool);
    Value b = pick(random, pool);
    return switch (random.nextInt(14)) {
      case 0 -> a.add(b);
      case 1 -> a.sub(b);
      case 2 -> a.mul(b);
      case 3 -> a.div(b);
      case 4 -> a.pow(EXPONENTS[random.nextInt(EXPONENTS.length)]);
      case 5 -> {
        double[] bounds = BOUNDS[random.nextInt(BOUNDS.length)];
        yield a.clamp(bounds[0], bounds[1]);
      }
      case 6 -> a.max(b);
      case 7 -> a.min(b);
      case 8 -> Value.where(a, b, pick(random, pool));
      case 9 -> Value.sum(a, b, pick(random, pool), pick(random, pool));
      case 10 -> a.tanh();
      case 11 -> a.neg();
      case 12 -> a.abs();
      default -> a.relu();
    };
  }

  /** Returns a recent value, an earlier one, or a fresh constant leaf of a special value. */
  private static Value pick(SplittableRandom random, List<Value> pool) {
    int n = pool.size();
    return switch (random.nextInt(4)) {
      case 0 -> Value.of(SPECIAL[random.nextInt(SPECIAL.length)]);
      case 1 -> pool.get(random.nextInt(n));
      default -> pool.get(n - 1 - random.nextInt(Math.min(n, 4)));
    };
  }

  @Test
  void compile_constantOutputZero_gradientsUntouchedAsInEngine() {
    for (double c : SPECIAL) {
      for (double k : new double[] {-0.0, Double.NaN, -1.0, Double.MIN_VALUE}) {
        Value x = Value.of(0, "x");
        Value w = Value.of(0, "w");
        Value folded = Value.of(c).pow(k).clamp(-0.0, 0.0).add(Value.of(c));
        List<Value> outputs = List.of(folded, Value.of(c), x.mul(w).pow(k), Value.of(c).mul(w));

        assertMatchesEngine(outputs, List.of(x), List.of(w), points(1, 3), 2.0);
      }
    }
  }

  /**
   * Terms of one input each, {@code f(x_i)}: the graph's outputs are {@code Σ f(x_i)·w_i} (so each
   * weight's gradient is {@code f(x_i)} and each input's gradient is {@code f'(x_i)·w_i}) followed
   * by every {@code f(x_i)}.
   */
  static final class Terms {
    final List<Value> inputs = new ArrayList<>();
    final List<Value> params = new ArrayList<>();
    final List<Value> terms = new ArrayList<>();

    void term(UnaryOperator<Value> f) {
      pair((x, w) -> f.apply(x));
    }

    /** Adds a term {@code f(x_i, w_i)} of a fresh input and the param it is weighted by. */
    void pair(BinaryOperator<Value> f) {
      Value x = Value.of(0, "x" + inputs.size());
      Value w = Value.of(0, "w" + params.size());
      inputs.add(x);
      params.add(w);
      terms.add(f.apply(x, w));
    }

    void assertMatchesEngine() {
      List<Value> products = new ArrayList<>();
      for (int i = 0; i < terms.size(); i++) {
        products.add(terms.get(i).mul(params.get(i)));
      }
      List<Value> outputs = new ArrayList<>();
      outputs.add(Value.sum(products));
      outputs.addAll(terms);
      SpecialConstantsAdversarialTest.assertMatchesEngine(
          outputs, inputs, params, points(inputs.size(), terms.size()), 1.0);
    }
  }

  /**
   * Points of {@code n} inputs: each special value in every input, then rows that draw each input
   * from the special values.
   */
  private static double[][] points(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[][] rows = new double[SPECIAL.length + 8][n];
    for (int r = 0; r < rows.length; r++) {
      for (int i = 0; i < n; i++) {
        rows[r][i] = r < SPECIAL.length ? SPECIAL[r] : SPECIAL[random.nextInt(SPECIAL.length)];
      }
    }
    return rows;
  }

  private static void assertMatchesEngine(
      List<Value> outputs, List<Value> inputs, List<Value> params, double[][] rows, double w) {
    double[] p = new double[params.size()];
    Arrays.fill(p, w);
    assertMatchesEngine(outputs, inputs, params, rows, p, BATCH_ROWS);
  }

  /**
   * Checks every compiled path of both modes and backends, and the graphs read back, against the
   * engine at each of {@code rows} with params {@code p}, batches of {@code batchRows} rows.
   */
  static void assertMatchesEngine(
      List<Value> outputs,
      List<Value> inputs,
      List<Value> params,
      double[][] rows,
      double[] p,
      int[] batchRows) {
    for (JitOptions.Backend backend : JitOptions.Backend.values()) {
      for (boolean exact : new boolean[] {true, false}) {
        JitOptions options = JitOptions.defaults().withExact(exact).withBackend(backend);
        assertMatchesEngine(outputs, inputs, params, rows, p, options, batchRows);
      }
    }
  }

  private static void assertMatchesEngine(
      List<Value> outputs,
      List<Value> inputs,
      List<Value> params,
      double[][] rows,
      double[] p,
      JitOptions options,
      int[] batchRows) {
    boolean exact = options.exact();
    CompiledGraph compiled = Jit.compile(outputs, inputs, params, options);
    CompiledGraph reloaded = roundTrip(compiled, options);
    for (CompiledGraph g : List.of(compiled, reloaded)) {
      String mode =
          (exact ? "exact " : "default ") + options.backend() + (g == reloaded ? " reloaded" : "");
      for (double[] x : rows) {
        double[] expectedOutputs = engineOutputs(outputs, inputs, params, x, p);
        double[] expected = Oracle.interpret(outputs.get(0), inputs, params, x, p);
        double[] actualOutputs = new double[outputs.size()];

        g.forward(x, p, actualOutputs);
        double[] withInputs = Oracle.compiled(g, x, p);
        double[] paramGrad = Oracle.startGrad(p.length);
        double value = g.valueAndGrad(x, p, paramGrad);

        String at = mode + " at " + Arrays.toString(Arrays.copyOf(x, Math.min(4, x.length)));
        assertAgrees(exact, expectedOutputs, actualOutputs, true, "forward, " + at);
        assertAgrees(exact, expected, withInputs, false, "valueAndGrad with inputs, " + at);
        double[] expectedParams = Arrays.copyOfRange(expected, 1 + x.length, expected.length);
        assertAgrees(
            exact,
            Oracle.concat(expected[0], new double[0], expectedParams),
            Oracle.concat(value, new double[0], paramGrad),
            false,
            "valueAndGrad, " + at);
      }
      double[][] finite = finiteRows(rows);
      for (int n : batchRows) {
        assertBatchAgrees(exact, g, outputs, inputs, params, rows, n, p, mode + ", " + n);
        if (finite.length > 0 && finite.length < rows.length) {
          assertBatchAgrees(
              exact, g, outputs, inputs, params, finite, n, p, mode + ", finite rows, " + n);
        }
      }
    }
  }

  /**
   * Returns the rows whose values are all finite: a batch of them shows gradients that one NaN or
   * infinite row would make NaN in its block's sum.
   */
  private static double[][] finiteRows(double[][] rows) {
    return Arrays.stream(rows)
        .filter(x -> Arrays.stream(x).allMatch(Double::isFinite))
        .toArray(double[][]::new);
  }

  private static void assertBatchAgrees(
      boolean exact,
      CompiledGraph g,
      List<Value> outputs,
      List<Value> inputs,
      List<Value> params,
      double[][] points,
      int rows,
      double[] p,
      String what) {
    int n = inputs.size();
    int m = outputs.size();
    double[] data = new double[rows * n];
    double[] expectedOutputs = new double[rows * m];
    for (int r = 0; r < rows; r++) {
      double[] x = points[(r * 5 + rows) % points.length];
      System.arraycopy(x, 0, data, r * n, n);
      double[] o = engineOutputs(outputs, inputs, params, x, p);
      System.arraycopy(o, 0, expectedOutputs, r * m, m);
    }
    double[] expected = engineBatch(outputs.get(0), inputs, params, data, rows, p);
    double[] actualOutputs = new double[rows * m];
    double[] grad = new double[p.length];

    g.forwardBatch(data, rows, p, actualOutputs);
    double sum = g.valueAndGradBatch(data, rows, p, grad);

    assertAgrees(exact, expectedOutputs, actualOutputs, true, "forwardBatch, " + what);
    assertAgrees(exact, expected, Oracle.concat(sum, new double[0], grad), false, "batch, " + what);
  }

  /** Every output's engine value at a point. */
  private static double[] engineOutputs(
      List<Value> outputs, List<Value> inputs, List<Value> params, double[] x, double[] p) {
    Values.setData(inputs, x);
    Values.setData(params, p);
    double[] values = new double[outputs.size()];
    for (int j = 0; j < values.length; j++) {
      values[j] = outputs.get(j).forward();
    }
    return values;
  }

  /** The engine's batch, as {@code valueAndGradBatch} defines it ({@link Oracle#blockwise}). */
  private static double[] engineBatch(
      Value output, List<Value> inputs, List<Value> params, double[] data, int rows, double[] p) {
    return Oracle.blockwise(
        data,
        rows,
        inputs.size(),
        p.length,
        (row, grad) -> {
          Values.setData(inputs, row);
          Values.setData(params, p);
          double value = output.forward();
          Values.setGrads(params, grad);
          output.backward();
          System.arraycopy(Values.grads(params), 0, grad, 0, grad.length);
          return value;
        });
  }

  private static CompiledGraph roundTrip(CompiledGraph g, JitOptions options) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      g.writeTo(bytes);
      return CompiledGraph.readFrom(new ByteArrayInputStream(bytes.toByteArray()), options);
    } catch (IOException e) {
      throw new AssertionError("a compiled graph did not survive writeTo/readFrom", e);
    }
  }

  /**
   * Exact mode: the engine's bits, NaN payloads aside. Default mode: within 1e-9, NaN for NaN, the
   * same infinities, and for values (not gradients, whose zeros' sign default mode leaves open) the
   * sign of a zero.
   */
  private static void assertAgrees(
      boolean exact, double[] expected, double[] actual, boolean values, String what) {
    if (exact) {
      Oracle.assertBitIdentical(expected, actual, what);
      return;
    }
    Oracle.assertClose(expected, actual, what);
    for (int i = 0; i < expected.length && values; i++) {
      if (expected[i] == 0
          && Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i])) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
      }
    }
  }
}
