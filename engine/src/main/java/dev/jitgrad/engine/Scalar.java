package dev.jitgrad.engine;

/**
 * The scalar functions behind ops that are more than one arithmetic instruction.
 *
 * <p>The interpreter and generated code both call these, so the two agree to the bit.
 */
public final class Scalar {
  private Scalar() {}

  /** Returns {@code max(0, x)}; NaN stays NaN. */
  public static double relu(double x) {
    return x < 0 ? 0.0 : x;
  }

  /** Returns 1 if {@code x > 0}, else 0: the derivative of relu, 0 at 0 as in micrograd. */
  public static double step(double x) {
    return x > 0 ? 1.0 : 0.0;
  }

  /** Returns {@code 1 / (1 + e^-x)}, which is 0 or 1 (never NaN) when {@code e^-x} overflows. */
  public static double sigmoid(double x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }

  /** Returns {@code log(1 + e^x)} as {@code max(x, 0) + log1p(e^-|x|)}, finite for finite x. */
  public static double softplus(double x) {
    return Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
  }
}
