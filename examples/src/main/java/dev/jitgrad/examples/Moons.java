package dev.jitgrad.examples;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The two-moons data set of scikit-learn's {@code make_moons}, with labels of -1 and +1.
 *
 * <p>The outer moon is {@code (cos t, sin t)} with label -1 and the inner moon {@code (1 - cos t, 1
 * - sin t - 0.5)} with label +1, {@code t} evenly spaced over [0, π] (the outer moon gets {@code n
 * / 2} points, the inner one the rest), plus Gaussian noise on both coordinates. Unlike
 * scikit-learn the points are not shuffled: training is full-batch, so order does not matter.
 *
 * @param points the coordinates, row-major: {@code x0, x1} of point 0, then of point 1, ...
 * @param labels the label of each point, -1 or +1
 */
public record Moons(double[] points, double[] labels) {
  /**
   * Checks that there are two coordinates per label.
   *
   * @throws IllegalArgumentException if the lengths do not match
   */
  public Moons {
    if (points.length != 2 * labels.length) {
      throw new IllegalArgumentException(
          "expected 2 coordinates per label, got " + points.length + " for " + labels.length);
    }
  }

  /**
   * Returns {@code n} noisy points of the two moons, drawn from {@code random}.
   *
   * @throws IllegalArgumentException if {@code n} is not positive or {@code noise} is negative
   */
  public static Moons generate(int n, double noise, RandomGenerator random) {
    Objects.requireNonNull(random, "random");
    if (n <= 0) {
      throw new IllegalArgumentException("samples must be positive, got " + n);
    }
    if (!(noise >= 0)) {
      throw new IllegalArgumentException("noise must be at least 0, got " + noise);
    }
    int outer = n / 2;
    int inner = n - outer;
    double[] points = new double[2 * n];
    double[] labels = new double[n];
    for (int i = 0; i < n; i++) {
      boolean isOuter = i < outer;
      double t = isOuter ? spaced(i, outer) : spaced(i - outer, inner);
      double x0 = isOuter ? Math.cos(t) : 1 - Math.cos(t);
      double x1 = isOuter ? Math.sin(t) : 1 - Math.sin(t) - 0.5;
      points[2 * i] = x0 + noise * random.nextGaussian();
      points[2 * i + 1] = x1 + noise * random.nextGaussian();
      labels[i] = isOuter ? -1 : 1;
    }
    return new Moons(points, labels);
  }

  /** Returns the {@code i}-th of {@code count} values evenly spaced over [0, π], like linspace. */
  private static double spaced(int i, int count) {
    return count == 1 ? 0 : Math.PI * i / (count - 1);
  }

  /** Returns the number of points. */
  public int size() {
    return labels.length;
  }

  /** Returns the first coordinate of point {@code i}. */
  public double x0(int i) {
    return points[2 * i];
  }

  /** Returns the second coordinate of point {@code i}. */
  public double x1(int i) {
    return points[2 * i + 1];
  }

  /** Returns the label of point {@code i}, -1 or +1. */
  public double label(int i) {
    return labels[i];
  }
}
