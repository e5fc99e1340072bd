package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class GradCheckTest {

  @Test
  void numericGradient_squareAtThree_isSix() {
    double[] x = {3.0};

    double[] g = GradCheck.numericGradient(p -> p[0] * p[0], x, GradCheck.STEP);

    assertEquals(6.0, g[0], 1e-6);
    assertEquals(3.0, x[0], 0.0);
  }

  @Test
  void numericGradient_ofGraph_restoresLeafData() {
    Value x = Value.of(3.0);
    Value y = Value.of(-1.0);
    Value out = x.mul(x).add(y.mul(4));

    double[] g = GradCheck.numericGradient(out, List.of(x, y), GradCheck.STEP);

    assertEquals(6.0, g[0], 1e-6);
    assertEquals(4.0, g[1], 1e-6);
    assertEquals(3.0, x.data(), 0.0);
    assertEquals(-1.0, y.data(), 0.0);
    assertEquals(5.0, out.data(), 0.0);
  }

  @Test
  void numericGradient_nonPositiveStep_throwsNamingTheStep() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> GradCheck.numericGradient(p -> p[0], new double[] {1}, -0.5));

    assertTrue(e.getMessage().contains("-0.5"), e.getMessage());
  }

  @Test
  void analyticGradient_afterEarlierBackward_zeroesLeavesFirst() {
    Value x = Value.of(3.0);
    Value out = x.mul(x);
    out.backward();

    double[] g = GradCheck.analyticGradient(out, List.of(x));

    assertArrayEquals(new double[] {6.0}, g, 0.0);
  }

  @Test
  void assertGradients_correctGraph_passes() {
    Value x = Value.of(0.4);
    Value y = Value.of(1.1);
    Value out = x.mul(y).tanh().add(y.log());

    assertDoesNotThrow(
        () -> GradCheck.assertGradients(out, List.of(x, y), GradCheck.STEP, 1e-6, 1e-8));
  }

  @Test
  void assertGradients_gradientThatDisagrees_throwsAssertionError() {
    // At its kink relu's gradient is 0 by convention, but central differences see 0.5.
    Value x = Value.of(0.0);
    Value out = x.relu();

    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> GradCheck.assertGradients(out, List.of(x), GradCheck.STEP, 1e-4, 1e-6));

    assertTrue(e.getMessage().contains("gradient 0"), e.getMessage());
  }

  @Test
  void assertClose_perturbedArray_throwsNamingTheIndex() {
    double[] numeric = {1.0, -2.0, 3.0};
    double[] analytic = {1.0, -2.0, 3.0 * (1 + 1e-3)};

    AssertionError e =
        assertThrows(
            AssertionError.class, () -> GradCheck.assertClose(analytic, numeric, 1e-4, 1e-6));

    assertTrue(e.getMessage().contains("gradient 2"), e.getMessage());
  }

  @Test
  void assertClose_withinTolerance_passes() {
    double[] numeric = {1.0, 0.0, 1e6};
    double[] analytic = {1.0 + 5e-5, 5e-7, 1e6 * (1 + 5e-5)};

    assertDoesNotThrow(() -> GradCheck.assertClose(analytic, numeric, 1e-4, 1e-6));
  }

  @Test
  void assertClose_nanAgainstNaN_passesButNaNAgainstNumberFails() {
    double[] nan = {Double.NaN};

    assertDoesNotThrow(() -> GradCheck.assertClose(nan, nan.clone(), 1e-4, 1e-6));
    assertThrows(
        AssertionError.class, () -> GradCheck.assertClose(nan, new double[] {0.0}, 1e-4, 1e-6));
  }

  @Test
  void assertClose_lengthMismatch_throwsNamingBothLengths() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> GradCheck.assertClose(new double[2], new double[5], 1e-4, 1e-6));

    assertTrue(e.getMessage().contains("2") && e.getMessage().contains("5"), e.getMessage());
  }
}
