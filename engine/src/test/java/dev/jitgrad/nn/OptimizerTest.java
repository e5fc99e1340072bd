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
        List.of(
            () -> new Sgd(0.1),
            () -> new Sgd(0.1, 0.9),
            () -> new Adam(0.01),
            () -> new Sgd(0.1, 0.9).weightDecay(0.01).clipGradNorm(1.0),
            () -> new Adam(0.01).weightDecay(0.01).decoupledWeightDecay(0.1).clipGradNorm(1.0),
            () -> new Adam(0.01).withCosineDecay(0.001, 2));

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
    assertMessageContains("-0.5", () -> new Sgd(-0.5));
    assertMessageContains("-1.0", () -> new Sgd(0.1).weightDecay(-1.0));
    assertMessageContains("NaN", () -> new Adam(0.1).weightDecay(Double.NaN));
    assertMessageContains("Infinity", () -> new Adam(0.1).decoupledWeightDecay(1 / 0.0));
    assertMessageContains("0.0", () -> new Sgd(0.1).clipGradNorm(0.0));
    assertMessageContains("NaN", () -> new Adam(0.1).clipGradNorm(Double.NaN));
    assertMessageContains("0.0", () -> new Adam(0.1).setLearningRate(0.0));
    assertMessageContains("-0.1", () -> new Sgd(1.0).withLinearDecay(-0.1, 10));
    assertMessageContains("0", () -> new Sgd(1.0).withCosineDecay(0.1, 0));
  }

  private static void assertMessageContains(String text, Runnable construct) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construct::run);

    assertTrue(e.getMessage().contains(text), e.getMessage());
  }

  @Test
  void sgd_weightDecay_oneStepIsParamMinusRateTimesGradPlusLambdaParam() {
    double[] p = {1.0, -3.0, 0.25, 7.0};
    double[] g = {0.5, -2.0, 0.0, 3e-3};
    double lr = 0.1;
    double lambda = 0.01;
    double[] expected = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      expected[i] = p[i] - lr * (g[i] + lambda * p[i]);
    }

    new Sgd(lr).weightDecay(lambda).step(p, g);

    assertArrayEquals(expected, p, 0.0);
  }

  @Test
  void sgd_momentumAndWeightDecay_matchPyTorchSgdOverThreeSteps() {
    // torch.optim.SGD: d = g + λp; v = μv + d; p -= lr·v.
    double lr = 0.05;
    double mu = 0.9;
    double lambda = 0.02;
    double[] p = {1.0, -3.0, 0.25, 7.0};
    double[] expected = p.clone();
    double[] v = new double[p.length];
    Sgd sgd = new Sgd(lr, mu).weightDecay(lambda);

    for (double[] g : GRADS) {
      sgd.step(p, g.clone());
      for (int i = 0; i < p.length; i++) {
        v[i] = mu * v[i] + (g[i] + lambda * expected[i]);
        expected[i] -= lr * v[i];
      }
    }

    assertArrayEquals(expected, p, 0.0);
  }

  @Test
  void weightDecay_microgradsL2Term_isCoupledDecayOfTwiceAlpha() {
    // micrograd adds 1e-4·Σp² to the loss; its gradient 2e-4·p is coupled decay λ = 2e-4.
    List<Value> params = List.of(Value.of(1.5), Value.of(-0.75), Value.of(3.0));
    double[] array = Values.data(params);
    Losses.l2(params, 1e-4).backward();

    new Sgd(0.5).step(params);
    new Sgd(0.5).weightDecay(2e-4).step(array, new double[3]);

    assertArrayEquals(Values.data(params), array, 0.0);
  }

  @Test
  void adam_weightDecay_isAdamOnTheDecayedGradient() {
    double lr = 0.01;
    double lambda = 0.1;
    double[] p = {1.0, -3.0, 0.25, 7.0};
    double[] g = {0.5, -2.0, 1e-3, -40.0};
    double[] expected = p.clone();
    double[] decayed = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      decayed[i] = g[i] + lambda * p[i];
    }

    new Adam(lr).step(expected, decayed);
    new Adam(lr).weightDecay(lambda).step(p, g);

    assertArrayEquals(expected, p, 0.0);
  }

  @Test
  void adam_decoupledWeightDecay_matchesPyTorchAdamWOverThreeSteps() {
    // torch.optim.AdamW (PyTorch 2.x, _single_tensor_adamw), written out.
    double lr = 0.01;
    double b1 = 0.9;
    double b2 = 0.999;
    double eps = 1e-8;
    double wd = 0.1;
    double[] p = {1.0, -3.0, 0.25, 7.0};
    double[] expected = p.clone();
    double[] m = new double[p.length];
    double[] v = new double[p.length];
    Adam adamW = new Adam(lr, b1, b2, eps).decoupledWeightDecay(wd);

    for (int t = 1; t <= GRADS.length; t++) {
      double[] g = GRADS[t - 1];
      adamW.step(p, g.clone());
      for (int i = 0; i < p.length; i++) {
        expected[i] *= 1 - lr * wd;
        m[i] += (g[i] - m[i]) * (1 - b1);
        v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i];
        double stepSize = lr / (1 - Math.pow(b1, t));
        double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
        expected[i] += -stepSize * m[i] / denom;
      }
    }

    assertArrayEquals(expected, p, 1e-14);
  }

  @Test
  void clipGradNorm_normAboveMax_scalesGradientsAsPyTorch() {
    // ‖(3, 4)‖ = 5; clip_grad_norm_(max_norm=1) multiplies by 1 / (5 + 1e-6).
    double[] p = {0.0, 0.0};

    new Sgd(1.0).clipGradNorm(1.0).step(p, new double[] {3.0, 4.0});

    assertArrayEquals(new double[] {-3.0 / (5 + 1e-6), -4.0 / (5 + 1e-6)}, p, 1e-15);
    assertEquals(1.0, Math.hypot(p[0], p[1]), 1e-6);
  }

  @Test
  void clipGradNorm_normBelowMax_leavesTheStepAsWithoutClipping() {
    double[] clipped = {1.0, -3.0, 0.25, 7.0};
    double[] plain = clipped.clone();
    double[] g = {0.5, -2.0, 0.0, 3e-3};

    new Adam(0.1).clipGradNorm(10.0).step(clipped, g);
    new Adam(0.1).step(plain, g);

    assertArrayEquals(plain, clipped, 0.0);
  }

  @Test
  void clipGradNormWithWeightDecay_clipsTheGradientThenAddsTheDecay() {
    double[] p = {1.0, 2.0};
    double lambda = 0.5;
    double scale = 1.0 / (5 + 1e-6);

    new Sgd(1.0).clipGradNorm(1.0).weightDecay(lambda).step(p, new double[] {3.0, 4.0});

    assertArrayEquals(
        new double[] {1.0 - (3.0 * scale + lambda), 2.0 - (4.0 * scale + 2 * lambda)}, p, 1e-15);
  }

  @Test
  void step_withClippingAndDecay_leavesTheCallersGradientsUnchanged() {
    double[] g = {3.0, 4.0};

    new Adam(0.1).clipGradNorm(1.0).weightDecay(0.5).step(new double[] {1.0, 2.0}, g);

    assertArrayEquals(new double[] {3.0, 4.0}, g, 0.0);
  }

  @Test
  void adam_setLearningRate_changesTheNextStep() {
    Adam adam = new Adam(0.1);
    double[] p = {1.0};

    adam.setLearningRate(0.02);
    adam.step(p, new double[] {2.0});

    // After one step m̂ = g and v̂ = g², so the update is lr·g / (|g| + ε).
    assertEquals(0.02, adam.learningRate());
    assertEquals(1.0 - 0.02 * 2.0 / (2.0 + 1e-8), p[0], 1e-16);
  }

  @Test
  void withLinearDecay_microgradsSchedule_givesItsRatesExactlyThenStays() {
    Optimizer sgd = new Sgd(1.0).withLinearDecay(0.1, 100);
    double[] p = {0.0};

    for (int k = 0; k < 102; k++) {
      sgd.step(p, new double[] {0.0});

      double micrograd = 1.0 - 0.9 * k / 100;
      assertEquals(k < 100 ? micrograd : 0.1, sgd.learningRate(), 0.0, "step " + k);
    }
  }

  @Test
  void withCosineDecay_fourSteps_followsTheHalfCosine() {
    Optimizer adam = new Adam(1.0).withCosineDecay(0.2, 4);
    double[] expected = {
      1.0, 0.2 + 0.8 * (2 + Math.sqrt(2)) / 4, 0.6, 0.2 + 0.8 * (2 - Math.sqrt(2)) / 4, 0.2
    };
    double[] p = {0.0};

    for (int k = 0; k < 5; k++) {
      adam.step(p, new double[] {1.0});

      assertEquals(expected[k], adam.learningRate(), 1e-15, "step " + k);
    }
  }

  @Test
  void withSchedule_stepsOnValuesAndArrays_countTogether() {
    Optimizer sgd = new Sgd(1.0).withSchedule(k -> 1.0 / (k + 1));
    List<Value> params = List.of(Value.of(0.0));
    params.get(0).setGrad(1.0);

    sgd.step(params);
    sgd.step(new double[] {0.0}, new double[] {1.0});

    assertEquals(0.5, sgd.learningRate(), 0.0);
    assertEquals(-1.0, params.get(0).data(), 0.0);
  }

  @Test
  void withSchedule_rateNegativeOrNaN_throwsNamingRateAndStep() {
    Optimizer negative = new Sgd(1.0).withSchedule(k -> 0.5 - k);
    Optimizer nan = new Sgd(1.0).withSchedule(k -> Double.NaN);
    negative.step(new double[1], new double[1]);

    IllegalArgumentException n =
        assertThrows(
            IllegalArgumentException.class, () -> negative.step(new double[1], new double[1]));
    IllegalArgumentException x =
        assertThrows(IllegalArgumentException.class, () -> nan.step(new double[1], new double[1]));

    assertTrue(n.getMessage().contains("-0.5 at step 1"), n.getMessage());
    assertTrue(x.getMessage().contains("NaN at step 0"), x.getMessage());
  }

  @Test
  void withSchedule_optimizerWithoutLearningRate_throwsUnsupported() {
    Optimizer custom = (params, grads) -> {};

    assertThrows(UnsupportedOperationException.class, () -> custom.withSchedule(k -> 0.1));
    assertThrows(UnsupportedOperationException.class, () -> custom.setLearningRate(0.1));
  }
}
