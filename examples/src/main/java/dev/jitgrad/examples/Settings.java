package dev.jitgrad.examples;

import java.util.Arrays;

/**
 * What one training run does: micrograd's demo is {@code new Settings(seed, 100, [16, 16], 100)}.
 *
 * @param seed seeds both the data and the initial weights
 * @param samples the number of moons points
 * @param hidden the sizes of the hidden layers; the model is {@code MLP(2, hidden..., 1)}
 * @param steps the number of full-batch SGD steps, over which the learning rate decays from 1 to
 *     0.1
 */
public record Settings(long seed, int samples, int[] hidden, int steps) {
  /** The seed micrograd's demo uses. */
  public static final long DEFAULT_SEED = 1337;

  /** The noise of the moons, as in micrograd's demo. */
  public static final double NOISE = 0.1;

  /**
   * The weight of micrograd's L2 penalty {@code alpha·Σp²}, applied as the optimiser's weight decay
   * {@code 2·alpha}.
   */
  public static final double ALPHA = 1e-4;

  /**
   * Checks every size.
   *
   * @throws IllegalArgumentException if the samples, a hidden size or the steps are not positive
   */
  public Settings {
    if (samples <= 0) {
      throw new IllegalArgumentException("samples must be positive, got " + samples);
    }
    hidden = hidden.clone();
    for (int size : hidden) {
      if (size <= 0) {
        throw new IllegalArgumentException(
            "hidden layer sizes must be positive, got " + Arrays.toString(hidden));
      }
    }
    if (steps <= 0) {
      throw new IllegalArgumentException("steps must be positive, got " + steps);
    }
  }

  /** Returns micrograd's demo settings with another seed. */
  public static Settings demo(long seed) {
    return new Settings(seed, 100, new int[] {16, 16}, 100);
  }

  /** Returns the layer sizes after the 2 inputs: the hidden sizes, then the single score. */
  public int[] layerSizes() {
    int[] sizes = Arrays.copyOf(hidden, hidden.length + 1);
    sizes[hidden.length] = 1;
    return sizes;
  }

  /** Returns a copy of the hidden layer sizes. */
  @Override
  public int[] hidden() {
    return hidden.clone();
  }
}
