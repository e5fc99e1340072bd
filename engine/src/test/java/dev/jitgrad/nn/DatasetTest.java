package dev.jitgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DatasetTest {
  @Test
  void moons_noNoise_pointsLieOnTheTwoHalfCirclesWithTheirLabels() {
    Dataset moons = Dataset.moons(5, 0.0, 1);

    // Outer moon: 2 points at t = 0 and π; inner moon: 3 points at t = 0, π/2 and π.
    double[][] expected = {{1, 0}, {-1, 0}, {0, 0.5}, {1, -0.5}, {2, 0.5}};
    for (int i = 0; i < 5; i++) {
      assertArrayEquals(expected[i], moons.features()[i], 1e-15, "point " + i);
      assertArrayEquals(new double[] {i < 2 ? -1 : 1}, moons.labels()[i], 0.0, "label " + i);
    }
  }

  @Test
  void moons_sameSeed_sameDataAndOtherSeed_otherData() {
    Dataset a = Dataset.moons(50, 0.1, 7);
    Dataset b = Dataset.moons(50, 0.1, 7);
    Dataset c = Dataset.moons(50, 0.1, 8);

    assertArrayEquals(a.features(), b.features());
    assertTrue(a.features()[0][0] != c.features()[0][0]);
  }

  @Test
  void moons_noise_hasAboutTheRequestedStandardDeviation() {
    Dataset clean = Dataset.moons(2000, 0.0, 3);
    Dataset noisy = Dataset.moons(2000, 0.1, 3);
    double squares = 0;

    for (int i = 0; i < 2000; i++) {
      for (int j = 0; j < 2; j++) {
        double d = noisy.features()[i][j] - clean.features()[i][j];
        squares += d * d;
      }
    }

    assertEquals(0.1, Math.sqrt(squares / 4000), 0.005);
  }

  @Test
  void moons_badArguments_throwNamingTheValue() {
    IllegalArgumentException samples =
        assertThrows(IllegalArgumentException.class, () -> Dataset.moons(0, 0.1, 1));
    IllegalArgumentException noise =
        assertThrows(IllegalArgumentException.class, () -> Dataset.moons(10, Double.NaN, 1));

    assertTrue(samples.getMessage().contains("0"), samples.getMessage());
    assertTrue(noise.getMessage().contains("NaN"), noise.getMessage());
  }

  @Test
  void constructor_rowCountsDiffer_throwsNamingBoth() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new Dataset(new double[3][1], new double[2][1]));

    assertTrue(e.getMessage().contains("3") && e.getMessage().contains("2"), e.getMessage());
  }

  @Test
  void constructor_nullRow_throwsNamingTheRow() {
    double[][] features = {{1}, null};

    NullPointerException e =
        assertThrows(NullPointerException.class, () -> new Dataset(features, new double[2][1]));

    assertEquals("features[1]", e.getMessage());
  }
}
