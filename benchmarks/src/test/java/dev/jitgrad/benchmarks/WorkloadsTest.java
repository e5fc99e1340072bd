package dev.jitgrad.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jitgrad.nn.Dataset;
import org.junit.jupiter.api.Test;

/**
 * The benchmarks' moons are the library's (and so the demo's, which {@code MoonsDatasetTest} in the
 * examples checks), packed as rows {@code x0, x1, y}.
 */
class WorkloadsTest {
  @Test
  void moons_samples_areTheLibrarysMoonsAsRows() {
    Dataset library = Dataset.moons(100, 0.1, Workloads.SEED);

    double[] rows = Workloads.moons(100);

    assertEquals(300, rows.length);
    for (int s = 0; s < 100; s++) {
      assertEquals(library.features()[s][0], rows[3 * s], 0.0, "x0 of " + s);
      assertEquals(library.features()[s][1], rows[3 * s + 1], 0.0, "x1 of " + s);
      assertEquals(library.labels()[s][0], rows[3 * s + 2], 0.0, "y of " + s);
    }
  }
}
