package dev.jitgrad.nn;

/**
 * How an {@link MLP} draws its initial weights: uniformly in {@code [-b, b]}, with the bound {@code
 * b} chosen per layer from its fan-in and fan-out. Biases start at 0 in every scheme.
 */
public enum Init {
  /** micrograd's scheme, {@code b = 1} whatever the layer's size: fine for small layers. */
  UNIFORM,
  /**
   * Glorot and Bengio (2010), {@code b = √(6 / (fanIn + fanOut))}: keeps the variance of
   * activations and gradients near constant through tanh or linear layers.
   */
  XAVIER,
  /**
   * He et al. (2015) for ReLU layers, {@code b = √(6 / fanIn)}: variance {@code 2 / fanIn}, which
   * makes up for the half of the signal a ReLU zeroes.
   */
  HE;

  /** Returns the bound {@code b} of the weights of a layer with these fan-in and fan-out. */
  double bound(int fanIn, int fanOut) {
    switch (this) {
      case XAVIER:
        return Math.sqrt(6.0 / (fanIn + fanOut));
      case HE:
        return Math.sqrt(6.0 / fanIn);
      default:
        return 1.0;
    }
  }
}
