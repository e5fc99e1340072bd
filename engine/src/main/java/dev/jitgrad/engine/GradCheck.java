package dev.jitgrad.engine;

import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Checks gradients against central finite differences, like JAX's {@code check_grads}.
 *
 * <p>The numeric derivative of f at x is {@code (f(x + h) - f(x - h)) / 2h}, whose error is O(h²)
 * plus rounding of order {@code eps·|f| / h}; h = 1e-6 balances the two for smooth functions of
 * moderate size. An analytic gradient a passes against a numeric n when {@code |a - n| <= atol +
 * rtol · max(|a|, |n|)}.
 */
public final class GradCheck {
  /** The default step h. */
  public static final double STEP = 1e-6;

  private GradCheck() {}

  /**
   * Returns the central-difference gradient of {@code f} at {@code x}; {@code x} is restored.
   *
   * @throws IllegalArgumentException if {@code h} is not positive and finite
   */
  public static double[] numericGradient(ToDoubleFunction<double[]> f, double[] x, double h) {
    checkStep(h);
    Objects.requireNonNull(f, "f");
    double[] grad = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double saved = x[i];
      try {
        x[i] = saved + h;
        double plus = f.applyAsDouble(x);
        x[i] = saved - h;
        double minus = f.applyAsDouble(x);
        grad[i] = (plus - minus) / (2 * h);
      } finally {
        x[i] = saved; // restored when f throws too
      }
    }
    return grad;
  }

  /**
   * Returns the central-difference gradient of {@code output} with respect to {@code leaves},
   * re-evaluating the graph with {@link Value#forward()}; the leaves' data is restored.
   */
  public static double[] numericGradient(Value output, List<Value> leaves, double h) {
    double[] x = Values.data(leaves);
    double[] grad =
        numericGradient(
            point -> {
              Values.setData(leaves, point);
              return output.forward();
            },
            x,
            h);
    Values.setData(leaves, x);
    output.forward();
    return grad;
  }

  /**
   * Returns the gradient of {@code output} with respect to {@code leaves} by {@link
   * Value#backward()}, after zeroing the leaves' gradients.
   */
  public static double[] analyticGradient(Value output, List<Value> leaves) {
    Values.zeroGrad(leaves);
    output.backward();
    return Values.grads(leaves);
  }

  /**
   * Asserts that backward's gradient of {@code output} matches central differences.
   *
   * @throws AssertionError naming the first leaf whose gradients disagree, with both numbers
   */
  public static void assertGradients(
      Value output, List<Value> leaves, double h, double rtol, double atol) {
    double[] numeric = numericGradient(output, leaves, h);
    double[] analytic = analyticGradient(output, leaves);
    assertClose(analytic, numeric, rtol, atol);
  }

  /**
   * Asserts that {@code analytic} and {@code numeric} agree element by element within {@code atol +
   * rtol · max(|a|, |n|)}; NaN matches only NaN.
   *
   * @throws AssertionError naming the first index that disagrees, with both numbers
   */
  public static void assertClose(double[] analytic, double[] numeric, double rtol, double atol) {
    if (analytic.length != numeric.length) {
      throw new IllegalArgumentException(
          "gradients have lengths " + analytic.length + " and " + numeric.length);
    }
    for (int i = 0; i < analytic.length; i++) {
      double a = analytic[i];
      double n = numeric[i];
      boolean bothNaN = Double.isNaN(a) && Double.isNaN(n);
      if (!bothNaN
          && a != n
          && !(Math.abs(a - n) <= atol + rtol * Math.max(Math.abs(a), Math.abs(n)))) {
        throw new AssertionError(
            "gradient " + i + ": analytic " + a + " but finite differences give " + n);
      }
    }
  }

  private static void checkStep(double h) {
    if (!(h > 0) || Double.isInfinite(h)) {
      throw new IllegalArgumentException("step h must be positive and finite, got " + h);
    }
  }
}
