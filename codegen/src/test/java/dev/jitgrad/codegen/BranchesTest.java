package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Losses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A compiled graph records max, min, abs, clamp and where as run-time choices: every call follows
 * the branch its own inputs select, not the one taken when the graph was traced.
 */
class BranchesTest {
  private static final double[] COORDINATES = {-2, -1, -0.5, 0, 0.5, 1, 2};

  private final Value x0 = Value.of(0.3, "x0");
  private final Value x1 = Value.of(-0.7, "x1");
  private final Value w0 = Value.of(0.5, "w0");
  private final Value w1 = Value.of(1.0, "w1");
  private final List<Value> inputs = List.of(x0, x1);
  private final List<Value> params = List.of(w0, w1);

  /** Every branching op, each with its choice made by the inputs. */
  private Value branchy() {
    Value a = w0.mul(x0);
    Value b = w1.mul(x1);
    return Value.sum(
        Value.where(x0.sub(x1), a.max(b), a.min(w1)),
        x0.mul(w1).abs(),
        x1.mul(w0).clamp(-1, 1),
        a.relu());
  }

  /** The same function on doubles, written out from the ops' definitions. */
  private static double branchyValue(double x0, double x1, double w0, double w1) {
    double a = w0 * x0;
    double b = w1 * x1;
    double chosen = x0 - x1 > 0 ? Math.max(a, b) : Math.min(a, w1);
    double clamped = Math.min(Math.max(x1 * w0, -1), 1);
    return chosen + Math.abs(x0 * w1) + clamped + Math.max(a, 0);
  }

  /** Every pair of coordinates, in an order where consecutive calls switch branches. */
  private static List<double[]> crossingPoints() {
    List<double[]> points = new ArrayList<>();
    for (double a : COORDINATES) {
      for (double b : COORDINATES) {
        points.add(new double[] {a, b});
        points.add(new double[] {-b, -a});
      }
    }
    return points;
  }

  @Test
  void valueAndGrad_inputsCrossingEveryBranch_followTheCurrentBranch() {
    Value out = branchy();
    CompiledGraph fast = Jit.compile(out, inputs, params);
    CompiledGraph exact =
        Jit.compile(List.of(out), inputs, params, JitOptions.defaults().withExact(true));
    double[] p = {0.5, 1.0}; // w0 = w1 / 2: the max and min see ties, clamp meets its bounds

    for (double[] x : crossingPoints()) {
      double[] expected = Oracle.interpret(out, inputs, params, x, p);

      String what = "at " + Arrays.toString(x);
      assertEquals(branchyValue(x[0], x[1], p[0], p[1]), expected[0], 1e-15, what);
      Oracle.assertBitIdentical(expected, Oracle.compiled(exact, x, p), "exact " + what);
      Oracle.assertSameNumbers(expected, Oracle.compiled(fast, x, p), "default " + what);
      assertEquals(expected[0], fast.forward(x, p), 0.0, "forward " + what);
    }
  }

  @Test
  void valueAndGrad_inputGradients_followTheCurrentBranch() {
    Value out = branchy();
    CompiledGraph fast = Jit.compile(out, inputs, params);
    double[] p = {0.5, 1.0};

    for (double[] x : crossingPoints()) {
      double[] expected = Oracle.interpret(out, inputs, params, x, p);
      double[] inputGrad = Oracle.startGrad(2);
      double[] paramGrad = Oracle.startGrad(2);
      double value = fast.valueAndGrad(x, p, inputGrad, paramGrad);

      Oracle.assertSameNumbers(
          expected, Oracle.concat(value, inputGrad, paramGrad), "at " + Arrays.toString(x));
    }
  }

  @Test
  void valueAndGradBatch_rowsTakingDifferentBranches_equalsPerRowSumsBitForBit() {
    Value out = branchy();
    CompiledGraph fast = Jit.compile(out, inputs, params);
    CompiledGraph exact =
        Jit.compile(List.of(out), inputs, params, JitOptions.defaults().withExact(true));
    List<double[]> points = crossingPoints();
    int rows = points.size();
    double[] data = new double[2 * rows];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(points.get(r), 0, data, 2 * r, 2);
    }
    double[] p = {0.5, 1.0};

    for (CompiledGraph g : List.of(fast, exact)) {
      double[] grad = new double[2];
      double sum = g.valueAndGradBatch(data, rows, p, grad);

      double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
      Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), "batch");
    }
    double[] grad = new double[2];
    double sum = exact.valueAndGradBatch(data, rows, p, grad);
    double[] engine = interpretedBlockwise(out, data, rows, p);
    Oracle.assertBitIdentical(engine, Oracle.concat(sum, new double[0], grad), "exact vs engine");
  }

  /** The batch's sums by {@code backward()}: rows in blocks, gradients accumulated in row order. */
  private double[] interpretedBlockwise(Value out, double[] data, int rows, double[] p) {
    double[] grad = new double[p.length];
    double sum = 0;
    Values.setData(params, p);
    for (int start = 0; start < rows; start += CompiledGraph.BATCH_BLOCK_ROWS) {
      Values.zeroGrad(params);
      double blockSum = 0;
      for (int r = start; r < Math.min(rows, start + CompiledGraph.BATCH_BLOCK_ROWS); r++) {
        Values.setData(inputs, Arrays.copyOfRange(data, 2 * r, 2 * r + 2));
        blockSum += out.forward();
        out.backward();
      }
      sum += blockSum;
      for (int i = 0; i < p.length; i++) {
        grad[i] += params.get(i).grad();
      }
    }
    return Oracle.concat(sum, new double[0], grad);
  }

  @Test
  void softmaxCrossEntropy_compiledWithLabelInputs_isSoftmaxMinusOneHotAtAnyScale() {
    List<Value> logits = new ArrayList<>();
    List<Value> oneHot = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      logits.add(Value.of(0, "z" + i));
      oneHot.add(Value.of(i == 0 ? 1 : 0, "y" + i));
    }
    Value scale = Value.of(1, "s");
    List<Value> scaled = new ArrayList<>();
    for (Value z : logits) {
      scaled.add(z.mul(scale));
    }
    Value loss = Losses.softmaxCrossEntropy(scaled, oneHot);
    List<Value> in = new ArrayList<>(logits);
    in.addAll(oneHot);
    CompiledGraph fast = Jit.compile(loss, in, List.of(scale));
    CompiledGraph exact =
        Jit.compile(List.of(loss), in, List.of(scale), JitOptions.defaults().withExact(true));
    SplittableRandom random = new SplittableRandom(10);

    for (int call = 0; call < 40; call++) {
      double magnitude = call % 2 == 0 ? 1e4 : 3;
      double[] x = new double[8];
      for (int i = 0; i < 4; i++) {
        x[i] = magnitude * random.nextDouble(-1, 1);
      }
      int label = random.nextInt(4);
      x[4 + label] = 1;
      double[] p = {1.0};

      double[] expected = Oracle.interpret(loss, in, List.of(scale), x, p);
      double[] inputGrad = new double[8];
      double value = fast.valueAndGrad(x, p, inputGrad, new double[1]);

      String what = "call " + call + " at " + Arrays.toString(x);
      Oracle.assertBitIdentical(expected, Oracle.compiled(exact, x, p), "exact " + what);
      assertTrue(Double.isFinite(value), what);
      assertEquals(expected[0], value, 1e-9 * Math.max(1, value), what);
      double[] softmax = softmax(Arrays.copyOf(x, 4));
      for (int i = 0; i < 4; i++) {
        double oneHotValue = i == label ? 1 : 0;
        assertEquals(softmax[i] - oneHotValue, inputGrad[i], 1e-12, what + ", logit " + i);
      }
    }
  }

  @Test
  void ir_clamp_showsItsBounds() {
    Value x = Value.of(0, "x");

    String ir = Jit.compile(x.clamp(-1, 2), List.of(), List.of(x)).ir();

    assertTrue(ir.contains("= CLAMP %0 to [-1.0, 2.0]\n"), ir);
  }

  private static double[] softmax(double[] z) {
    double m = Arrays.stream(z).max().orElseThrow();
    double[] e = Arrays.stream(z).map(v -> Math.exp(v - m)).toArray();
    double total = Arrays.stream(e).sum();
    return Arrays.stream(e).map(v -> v / total).toArray();
  }
}
