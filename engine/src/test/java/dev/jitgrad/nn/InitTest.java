package dev.jitgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InitTest {
  @Test
  void mlp_uniformInit_sameWeightsAsMicrogradConstructor() {
    MLP plain = new MLP(new SplittableRandom(7), 3, 4, 2);
    MLP uniform = new MLP(new SplittableRandom(7), Init.UNIFORM, 3, 4, 2);

    double[] expected = Values.data(plain.parameters());
    double[] actual = Values.data(uniform.parameters());

    assertTrue(Arrays.equals(expected, actual));
  }

  @Test
  void mlp_heInit_weightsWithinBoundWithVarianceTwoOverFanIn() {
    int fanIn = 400;
    MLP model = new MLP(new SplittableRandom(3), Init.HE, fanIn, 250, 1);

    double[] weights = firstLayerWeights(model, fanIn, 250);

    assertMoments(weights, Math.sqrt(6.0 / fanIn), 2.0 / fanIn);
  }

  @Test
  void mlp_xavierInit_weightsWithinBoundWithGlorotVariance() {
    int fanIn = 300;
    int fanOut = 200;
    MLP model = new MLP(new SplittableRandom(5), Init.XAVIER, fanIn, fanOut, 1);

    double[] weights = firstLayerWeights(model, fanIn, fanOut);

    assertMoments(weights, Math.sqrt(6.0 / (fanIn + fanOut)), 2.0 / (fanIn + fanOut));
  }

  @Test
  void mlp_anyInit_biasesStartAtZero() {
    MLP model = new MLP(new SplittableRandom(1), Init.HE, 3, 2);

    List<Value> p = model.parameters();

    assertEquals(0.0, p.get(3).data());
    assertEquals(0.0, p.get(7).data());
  }

  @Test
  void mlp_nullInit_throwsNamingIt() {
    NullPointerException e =
        assertThrows(
            NullPointerException.class, () -> new MLP(new SplittableRandom(1), null, 2, 1));

    assertEquals("init", e.getMessage());
  }

  /** The weights (not biases) of the first layer: each neuron's fanIn weights, then its bias. */
  private static double[] firstLayerWeights(MLP model, int fanIn, int neurons) {
    double[] p = Values.data(model.parameters());
    double[] w = new double[fanIn * neurons];
    for (int n = 0; n < neurons; n++) {
      System.arraycopy(p, n * (fanIn + 1), w, n * fanIn, fanIn);
    }
    return w;
  }

  /** Uniform in [-b, b]: every value inside, mean 0 and variance b²/3 = the expected variance. */
  private static void assertMoments(double[] w, double bound, double variance) {
    double sum = 0;
    double squares = 0;
    for (double v : w) {
      assertTrue(Math.abs(v) <= bound, v + " outside ±" + bound);
      sum += v;
      squares += v * v;
    }
    double mean = sum / w.length;
    double sampleVariance = squares / w.length - mean * mean;
    assertEquals(bound * bound / 3, variance, 1e-15);
    assertEquals(0.0, mean, 5 * Math.sqrt(variance / w.length));
    assertEquals(variance, sampleVariance, 0.03 * variance);
  }
}
