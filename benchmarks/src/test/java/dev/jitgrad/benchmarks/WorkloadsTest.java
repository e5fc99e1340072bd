package dev.jitgrad.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Dataset;
import java.util.List;
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

  @Test
  void softmaxCrossEntropy_oneHotLabel_isMinusLogOfTheClassProbability() {
    double[] z = {0.5, -1.25, 2.0};
    List<Value> logits = List.of(Value.of(z[0]), Value.of(z[1]), Value.of(z[2]));
    List<Value> labels = List.of(Value.of(0), Value.of(1), Value.of(0));

    Value loss = Workloads.softmaxCrossEntropy(logits, labels);
    loss.backward();

    double sum = Math.exp(z[0]) + Math.exp(z[1]) + Math.exp(z[2]);
    assertEquals(-Math.log(Math.exp(z[1]) / sum), loss.data(), 1e-12);
    assertEquals(Math.exp(z[0]) / sum, logits.get(0).grad(), 1e-12);
    assertEquals(Math.exp(z[1]) / sum - 1, logits.get(1).grad(), 1e-12);
    assertEquals(Math.exp(z[2]) / sum, logits.get(2).grad(), 1e-12);
  }

  @Test
  void oneHotRows_samples_haveFeaturesInRangeAndOneLabel() {
    double[] rows = Workloads.oneHotRows(3, 4, 50);

    assertEquals(50 * 7, rows.length);
    for (int s = 0; s < 50; s++) {
      double labelSum = 0;
      for (int k = 0; k < 4; k++) {
        double y = rows[s * 7 + 3 + k];
        assertTrue(y == 0.0 || y == 1.0, "label " + k + " of row " + s + " is " + y);
        labelSum += y;
      }
      assertEquals(1.0, labelSum, 0.0, "row " + s);
      for (int i = 0; i < 3; i++) {
        double x = rows[s * 7 + i];
        assertTrue(x >= -1 && x <= 1, "feature " + i + " of row " + s + " is " + x);
      }
    }
  }
}
