package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MoonsTest {
  @Test
  void generate_hundredSamples_hundredPointsWithBalancedLabels() {
    Moons moons = Moons.generate(100, 0.1, new SplittableRandom(1));

    assertEquals(100, moons.size());
    assertEquals(200, moons.points().length);
    assertEquals(50, Arrays.stream(moons.labels()).filter(y -> y == 1).count());
    assertEquals(50, Arrays.stream(moons.labels()).filter(y -> y == -1).count());
  }

  @Test
  void generate_sameSeed_sameData() {
    Moons first = Moons.generate(100, 0.1, new SplittableRandom(7));
    Moons second = Moons.generate(100, 0.1, new SplittableRandom(7));

    assertArrayEquals(first.points(), second.points());
    assertArrayEquals(first.labels(), second.labels());
  }

  @Test
  void generate_differentSeeds_differentPoints() {
    Moons first = Moons.generate(100, 0.1, new SplittableRandom(7));
    Moons second = Moons.generate(100, 0.1, new SplittableRandom(8));

    assertFalse(Arrays.equals(first.points(), second.points()));
  }

  @Test
  void generate_noNoise_pointsOnTheMoonsOfMakeMoons() {
    Moons moons = Moons.generate(6, 0.0, new SplittableRandom(1));

    // make_moons(6, noise=0): outer cos/sin and inner 1-cos/1-sin-0.5 at t = 0, π/2, π.
    double[] expected = {1, 0, 0, 1, -1, 0, 0, 0.5, 1, -0.5, 2, 0.5};
    assertArrayEquals(expected, moons.points(), 1e-15);
    assertArrayEquals(new double[] {-1, -1, -1, 1, 1, 1}, moons.labels());
  }

  @Test
  void generate_noSamples_throwsNamingTheCount() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Moons.generate(0, 0.1, new SplittableRandom(1)));

    assertEquals("samples must be positive, got 0", e.getMessage());
  }
}
