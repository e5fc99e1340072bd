package dev.jitgrad.nn;

/**
 * Coupled weight decay and clipping by global norm, applied by {@link Sgd} and {@link Adam} to each
 * gradient as they read it, so the caller's gradient array is left as it was.
 *
 * <p>Clipping follows PyTorch's {@code clip_grad_norm_}: with {@code n = ‖g‖₂} over all parameters,
 * every gradient is scaled by {@code max / (n + 1e-6)} when that is below 1. It comes first and
 * sees only the loss gradient, as in PyTorch, where a training loop clips before the optimiser's
 * {@code step} adds {@code weight_decay·p}.
 */
final class GradientRules {
  private double weightDecay;
  private double maxNorm = Double.POSITIVE_INFINITY;

  void setWeightDecay(double weightDecay) {
    this.weightDecay = finiteAtLeastZero(weightDecay, "weight decay");
  }

  void setMaxNorm(double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("max gradient norm must be positive, got " + maxNorm);
    }
    this.maxNorm = maxNorm;
  }

  /** Returns the settings, for saved optimiser state: weight decay and max norm. */
  double[] settings() {
    return new double[] {weightDecay, maxNorm};
  }

  /** Returns the factor that clips {@code grads} to the max norm: 1 when within it or off. */
  double clipScale(double[] grads) {
    if (maxNorm == Double.POSITIVE_INFINITY) {
      return 1.0;
    }
    double squares = 0;
    for (double g : grads) {
      squares += g * g;
    }
    double norm = Math.sqrt(squares);
    if (norm == Double.POSITIVE_INFINITY) { // squares past a double, or an infinite gradient
      norm = scaledNorm(grads);
    }
    double coefficient = maxNorm / (norm + 1e-6);
    return coefficient < 1.0 ? coefficient : 1.0;
  }

  /**
   * Returns the norm of {@code grads} from their squares over the largest magnitude, which do not
   * overflow: infinite only if a gradient is.
   */
  private static double scaledNorm(double[] grads) {
    double largest = 0;
    for (double g : grads) {
      largest = Math.max(largest, Math.abs(g));
    }
    if (largest == Double.POSITIVE_INFINITY) {
      return largest;
    }
    double squares = 0;
    for (double g : grads) {
      double r = g / largest;
      squares += r * r;
    }
    return largest * Math.sqrt(squares);
  }

  /** Returns the gradient {@code g·scale + λ·p} the update uses. */
  double gradient(double g, double p, double scale) {
    double clipped = scale == 1.0 ? g : g * scale;
    return weightDecay == 0.0 ? clipped : clipped + weightDecay * p;
  }

  /**
   * Returns {@code value} if it is finite and at least 0, for rates, decays and the package's other
   * such settings (L2's alpha, the moons' noise).
   *
   * @throws IllegalArgumentException naming {@code name} and the value if not
   */
  static double finiteAtLeastZero(double value, String name) {
    if (!(value >= 0) || value == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException(name + " must be finite and >= 0, got " + value);
    }
    return value;
  }
}
