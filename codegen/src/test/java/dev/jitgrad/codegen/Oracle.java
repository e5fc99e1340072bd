package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.fail;

import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** The interpreter as the oracle for compiled code: evaluate both at the same fresh point. */
final class Oracle {
  private Oracle() {}

  /**
   * Output 0 and the gradients of the interpreter at a point: {value, inputGrad..., paramGrad...}.
   * The leaves' gradients start at {@link #startGrad}, so accumulation (+=) is checked too.
   */
  static double[] interpret(
      Value output, List<Value> inputs, List<Value> params, double[] x, double[] p) {
    Values.setData(inputs, x);
    Values.setData(params, p);
    output.forward();
    Values.setGrads(inputs, startGrad(x.length));
    Values.setGrads(params, startGrad(p.length));
    output.backward();
    return concat(output.data(), Values.grads(inputs), Values.grads(params));
  }

  /**
   * The same from a compiled graph, gradients added into arrays that start at {@link #startGrad}.
   */
  static double[] compiled(CompiledGraph g, double[] x, double[] p) {
    double[] ig = startGrad(x.length);
    double[] pg = startGrad(p.length);
    double y = g.valueAndGrad(x, p, ig, pg);
    return concat(y, ig, pg);
  }

  /**
   * The batch's defined result computed from single-row calls on one thread: {sum, paramGrad...},
   * rows summed in blocks of {@link CompiledGraph#BATCH_BLOCK_ROWS}, blocks in order.
   */
  static double[] blockwiseSingleCalls(CompiledGraph g, double[] data, int rows, double[] p) {
    return blockwise(
        data, rows, g.inputCount(), p.length, (row, grad) -> g.valueAndGrad(row, p, grad));
  }

  /** One row of a batch: returns its value and adds its param gradient into {@code grad}. */
  interface Row {
    double add(double[] row, double[] grad);
  }

  /**
   * The batch's defined result from {@code step} on each row of {@code data} ({@code inputs} values
   * a row): {sum, paramGrad...}, rows added in blocks of {@link CompiledGraph#BATCH_BLOCK_ROWS}
   * into a sum and gradients that start at zero per block, blocks added in order.
   */
  static double[] blockwise(double[] data, int rows, int inputs, int params, Row step) {
    double[] grad = new double[params];
    double sum = 0;
    for (int start = 0; start < rows; start += CompiledGraph.BATCH_BLOCK_ROWS) {
      double[] blockGrad = new double[params];
      double blockSum = 0;
      for (int r = start; r < Math.min(rows, start + CompiledGraph.BATCH_BLOCK_ROWS); r++) {
        blockSum += step.add(Arrays.copyOfRange(data, inputs * r, inputs * (r + 1)), blockGrad);
      }
      sum += blockSum;
      for (int i = 0; i < params; i++) {
        grad[i] += blockGrad[i];
      }
    }
    return Oracle.concat(sum, new double[0], grad);
  }

  /** Gradients a caller had before: 0.25, -0.5, 0.75, ... so that adding into them is visible. */
  static double[] startGrad(int n) {
    double[] g = new double[n];
    for (int i = 0; i < n; i++) {
      g[i] = (i % 2 == 0 ? 1 : -1) * 0.25 * (i + 1);
    }
    return g;
  }

  static double[] concat(double y, double[] a, double[] b) {
    double[] out = new double[1 + a.length + b.length];
    out[0] = y;
    System.arraycopy(a, 0, out, 1, a.length);
    System.arraycopy(b, 0, out, 1 + a.length, b.length);
    return out;
  }

  /** Asserts bit-identical arrays (NaN payloads aside), naming the first difference. */
  static void assertBitIdentical(double[] expected, double[] actual, String what) {
    for (int i = 0; i < expected.length; i++) {
      if (Double.doubleToLongBits(expected[i]) != Double.doubleToLongBits(actual[i])) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected exactly " + expected[i]);
      }
    }
  }

  /**
   * Asserts {@code |a - b| <= 1e-9 · max(1, |a|, |b|)}, NaN matching NaN, naming the difference.
   */
  static void assertClose(double[] expected, double[] actual, String what) {
    for (int i = 0; i < expected.length; i++) {
      if (!close(expected[i], actual[i])) {
        fail(
            what
                + ": element "
                + i
                + " is "
                + actual[i]
                + ", expected "
                + expected[i]
                + " within 1e-9");
      }
    }
  }

  /**
   * Asserts that each pair is the same number ({@code ==}, so +0.0 matches -0.0) or both NaN: what
   * default mode promises against the interpreter.
   */
  static void assertSameNumbers(double[] expected, double[] actual, String what) {
    for (int i = 0; i < expected.length; i++) {
      boolean same =
          expected[i] == actual[i] || (Double.isNaN(expected[i]) && Double.isNaN(actual[i]));
      if (!same) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
      }
    }
  }

  /**
   * A wild random DAG (engine {@code RandomGraphs}) whose leaves are split at a random point into
   * inputs, then params.
   */
  record RandomCase(RandomGraphs.Sample sample, List<Value> inputs, List<Value> params) {
    /** Draws the graph, then the split, from {@code random}. */
    static RandomCase draw(SplittableRandom random, int leaves, int ops) {
      RandomGraphs.Sample s = RandomGraphs.wild(random, leaves, ops);
      int split = random.nextInt(leaves + 1);
      return new RandomCase(s, s.leaves().subList(0, split), s.leaves().subList(split, leaves));
    }
  }

  static boolean close(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b)) {
      return Double.isNaN(a) && Double.isNaN(b);
    }
    if (a == b) {
      return true;
    }
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
  }
}
