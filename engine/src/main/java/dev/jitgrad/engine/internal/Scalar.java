package dev.jitgrad.engine.internal;

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

  /** Returns {@code x} limited to {@code [lo, hi]}: {@code x} itself inside, NaN stays NaN. */
  public static double clamp(double x, double lo, double hi) {
    return x < lo ? lo : x > hi ? hi : x;
  }

  /** Returns {@code a} if {@code condition > 0}, else {@code b} (so a NaN condition gives b). */
  public static double where(double condition, double a, double b) {
    return condition > 0 ? a : b;
  }

  /** Returns 1 above 0, -1 below, 0 at ±0 and NaN: the derivative of abs, as PyTorch's sgn. */
  public static double sign(double x) {
    return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
  }

  /**
   * Returns the share of {@code max(a, b)}'s gradient that goes to {@code a}: 1 if {@code a > b}, 0
   * if {@code a < b}, ½ at a tie, and 1 if either is NaN (as PyTorch); {@code b}'s share is {@code
   * maxWeight(b, a)}, and {@code min(a, b)} gives {@code a} the share {@code maxWeight(b, a)}.
   */
  public static double maxWeight(double a, double b) {
    return a < b ? 0.0 : a == b ? 0.5 : 1.0;
  }

  /** Returns 1 if {@code lo <= x <= hi}, else 0 (NaN gives 0): the derivative of clamp. */
  public static double inRange(double x, double lo, double hi) {
    return x >= lo && x <= hi ? 1.0 : 0.0;
  }
}
