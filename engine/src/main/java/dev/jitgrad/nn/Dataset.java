package dev.jitgrad.nn;

import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Rows of features with their labels: row {@code i} is {@code features[i]} with {@code labels[i]}.
 * The arrays are held as given, not copied.
 *
 * @param features one array of input values per row
 * @param labels one array of label values per row
 */
public record Dataset(double[][] features, double[][] labels) {
  /**
   * Checks that there is one label row per feature row and that no row is null.
   *
   * @throws IllegalArgumentException if the row counts differ
   * @throws NullPointerException if an array or a row is null
   */
  public Dataset {
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(labels, "labels");
    if (features.length != labels.length) {
      throw new IllegalArgumentException(
          "features has " + features.length + " rows but labels has " + labels.length);
    }
    for (int i = 0; i < features.length; i++) {
      Objects.requireNonNull(features[i], "features[" + i + "]");
      Objects.requireNonNull(labels[i], "labels[" + i + "]");
    }
  }

  /** Returns the number of rows. */
  public int size() {
    return features.length;
  }

  /**
   * Returns scikit-learn's {@code make_moons} as micrograd's demo uses it: {@code n} points {@code
   * (x0, x1)} with a label of -1 (outer moon) or +1 (inner moon), drawn from a {@link
   * SplittableRandom} seeded with {@code seed}.
   *
   * <p>The outer moon is {@code (cos t, sin t)} and the inner moon {@code (1 - cos t, 1 - sin t -
   * 0.5)}, {@code t} evenly spaced over [0, π] (the outer moon gets {@code n / 2} points, the inner
   * one the rest), plus Gaussian noise of standard deviation {@code noise} on both coordinates.
   * Unlike scikit-learn the points are not shuffled: the outer moon comes first.
   *
   * @throws IllegalArgumentException if {@code n} is not positive or {@code noise} is negative or
   *     not finite
   */
  public static Dataset moons(int n, double noise, long seed) {
    if (n <= 0) {
      throw new IllegalArgumentException("samples must be positive, got " + n);
    }
    GradientRules.finiteAtLeastZero(noise, "noise");
    SplittableRandom random = new SplittableRandom(seed);
    int outer = n / 2;
    int inner = n - outer;
    double[][] features = new double[n][];
    double[][] labels = new double[n][];
    for (int i = 0; i < n; i++) {
      boolean isOuter = i < outer;
      double t = isOuter ? spaced(i, outer) : spaced(i - outer, inner);
      double x0 = isOuter ? Math.cos(t) : 1 - Math.cos(t);
      double x1 = isOuter ? Math.sin(t) : 1 - Math.sin(t) - 0.5;
      double noisy0 = x0 + noise * random.nextGaussian();
      double noisy1 = x1 + noise * random.nextGaussian();
      features[i] = new double[] {noisy0, noisy1};
      labels[i] = new double[] {isOuter ? -1 : 1};
    }
    return new Dataset(features, labels);
  }

  /** Returns the {@code i}-th of {@code count} values evenly spaced over [0, π], like linspace. */
  private static double spaced(int i, int count) {
    return count == 1 ? 0 : Math.PI * i / (count - 1);
  }
}
