package dev.jitgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class OptimizerTest {
  private static final double[][] GRADS = {
    {0.5, -2.0, 0.0, 3e-3}, {0.1, -1.0, 4.0, -3e-3}, {-0.7, 0.2, 1.0, 0.5}
  };

  @Test
  void sgd_step_isParamMinusRateTimesGradExactly() {
    double[] p = {1.0, -3.0, 0.25, 7.0};
    double[] g = {0.5, -2.0, 0.0, 3e-3};
    double lr = 0.1;
    double[] expected = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      expected[i] = p[i] - lr * g[i];
    }

    new Sgd(lr).step(p, g);

    assertArrayEquals(expected, p, 0.0);
  }

  @Test
  void sgd_momentum_matchesHandRecurrenceOverThreeSteps() {
    double lr = 0.05;
    double mu = 0.9;
    double[] p = {1.0, -3.0, 0.25, 7.0};
    double[] expected = p.clone();
    double[] v = new double[p.length];
    Sgd sgd = new Sgd(lr, mu);

    for (double[] g : GRADS) {
      sgd.step(p, g.clone());
      for (int i = 0; i < p.length; i++) {
        v[i] = mu * v[i] + g[i];
        expected[i] -= lr * v[i];
      }
    }

    assertArrayEquals(expected, p, 0.0);
  }

  @Test
  void sgd_setLearningRate_changesTheNextStep() {
    Sgd sgd = new Sgd(0.1);
    double[] p = {1.0};

    sgd.setLearningRate(0.5);
    sgd.step(p, new double[] {2.0});

    assertEquals(0.5, sgd.learningRate());
    assertEquals(0.0, p[0], 0.0);
  }

  @Test
  void adam_firstStep_movesEachParamByAboutRateAgainstTheGradientSign() {
    // After one step m̂ = g and v̂ = g², so the update is lr·g/(|g| + ε) ≈ lr·sign(g).
    double lr = 0.01;
    double[] p = {1.0, -3.0, 0.25, 7.0};
    double[] g = {0.5, -2.0, 1e-3, -40.0};
    double[] before = p.clone();

    new Adam(lr).step(p, g);

    for (int i = 0; i < p.length; i++) {
      assertEquals(-lr * Math.signum(g[i]), p[i] - before[i], lr * 1e-4, "param " + i);
    }
  }

  @Test
  void adam_threeSteps_matchKingmaAndBaAlgorithm1() {
    double lr = 0.01;
    double b1 = 0.8;
    double b2 = 0.99;
    double eps = 1e-6;
    double[] p = {1.0, -3.0, 0.25, 7.0};
    double[] expected = p.clone();
    double[] m = new double[p.length];
    double[] v = new double[p.length];
    Adam adam = new Adam(lr, b1, b2, eps);

    for (int t = 1; t <= GRADS.length; t++) {
      double[] g = GRADS[t - 1];
      adam.step(p, g.clone());
      for (int i = 0; i < p.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        double mHat = m[i] / (1 - Math.pow(b1, t));
        double vHat = v[i] / (1 - Math.pow(b2, t));
        expected[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
      }
    }

    assertArrayEquals(expected, p, 1e-15);
  }

  @Test
  void stepOnValues_andStepOnArrays_giveIdenticalResults() {
    List<Supplier<Optimizer>> configs =
        List.of(() -> new Sgd(0.1), () -> new Sgd(0.1, 0.9), () -> new Adam(0.01));

    for (Supplier<Optimizer> config : configs) {
      Optimizer onValues = config.get();
      Optimizer onArrays = config.get();
      List<Value> params = List.of(Value.of(1.0), Value.of(-3.0), Value.of(0.25), Value.of(7.0));
      double[] array = Values.data(params);

      for (double[] g : GRADS) {
        Values.setGrads(params, g);
        onValues.step(params);
        onArrays.step(array, g.clone());
      }

      assertArrayEquals(array, Values.data(params), 0.0);
    }
  }

  @Test
  void step_gradsOfWrongLength_throwsNamingBothLengths() {
    for (Optimizer optimizer : List.of(new Sgd(0.1), new Sgd(0.1, 0.5), new Adam(0.1))) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> optimizer.step(new double[3], new double[2]));

      assertTrue(e.getMessage().contains("3") && e.getMessage().contains("2"), e.getMessage());
    }
  }

  @Test
  void step_paramsOfOtherLengthThanFirstCall_throwsNamingBothLengths() {
    for (Optimizer optimizer : List.of(new Sgd(0.1, 0.5), new Adam(0.1))) {
      optimizer.step(new double[3], new double[3]);

      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> optimizer.step(new double[4], new double[4]));

      assertTrue(e.getMessage().contains("4") && e.getMessage().contains("3"), e.getMessage());
    }
  }

  @Test
  void constructors_badHyperparameters_throwNamingTheValue() {
    assertMessageContains("1.0", () -> new Sgd(0.1, 1.0));
    assertMessageContains("-0.1", () -> new Sgd(0.1, -0.1));
    assertMessageContains("NaN", () -> new Sgd(Double.NaN));
    assertMessageContains("Infinity", () -> new Sgd(0.1).setLearningRate(Double.POSITIVE_INFINITY));
    assertMessageContains("0.0", () -> new Adam(0.0));
    assertMessageContains("1.0", () -> new Adam(0.1, 1.0, 0.999, 1e-8));
    assertMessageContains("-0.5", () -> new Adam(0.1, 0.9, -0.5, 1e-8));
    assertMessageContains("0.0", () -> new Adam(0.1, 0.9, 0.999, 0.0));
  }

  private static void assertMessageContains(String text, Runnable construct) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construct::run);

    assertTrue(e.getMessage().contains(text), e.getMessage());
  }
}
