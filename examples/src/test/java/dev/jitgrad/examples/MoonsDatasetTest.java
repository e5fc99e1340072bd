package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.jitgrad.nn.Dataset;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The library's moons, which the benchmarks use, are the demo's moons to the bit. */
class MoonsDatasetTest {
  @Test
  void generate_anySeedAndSize_equalsTheLibrarysDatasetMoons() {
    for (long seed : new long[] {1337, 42, 7}) {
      for (int n : new int[] {1, 2, 101}) {
        Moons demo = Moons.generate(n, 0.1, new SplittableRandom(seed));

        Dataset library = Dataset.moons(n, 0.1, seed);

        for (int i = 0; i < n; i++) {
          String at = "seed " + seed + ", n " + n + ", point " + i;
          assertArrayEquals(new double[] {demo.x0(i), demo.x1(i)}, library.features()[i], 0.0, at);
          assertArrayEquals(new double[] {demo.label(i)}, library.labels()[i], 0.0, at);
        }
      }
    }
  }
}
