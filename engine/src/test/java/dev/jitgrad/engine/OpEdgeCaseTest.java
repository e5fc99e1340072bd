package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Ops at the edges of their domains, where finite differences cannot be the oracle. */
class OpEdgeCaseTest {

  private static double gradientAt(UnaryOperator<Value> op, double x) {
    Value leaf = Value.of(x);
    op.apply(leaf).backward();
    return leaf.grad();
  }

  @Test
  void relu_atZero_hasGradientExactlyZeroAsMicrograd() {
    Value x = Value.of(0.0);
    Value y = x.relu();

    y.backward();

    assertEquals(0.0, y.data());
    assertEquals(0.0, x.grad(), 0.0);
  }

  @ParameterizedTest
  @ValueSource(doubles = {Double.MIN_VALUE, 1e-300, 1e-9, 1e-3, 0.5, 1e9})
  void relu_justAboveZero_passesValueAndGradientOne(double x) {
    Value leaf = Value.of(x);
    Value y = leaf.relu();

    y.backward();

    assertEquals(x, y.data(), 0.0);
    assertEquals(1.0, leaf.grad(), 0.0);
  }

  @ParameterizedTest
  @ValueSource(doubles = {-Double.MIN_VALUE, -1e-300, -1e-9, -1e-3, -0.5, -1e9})
  void relu_justBelowZero_isZeroWithGradientZero(double x) {
    Value leaf = Value.of(x);
    Value y = leaf.relu();

    y.backward();

    assertEquals(0.0, y.data(), 0.0);
    assertEquals(0.0, leaf.grad(), 0.0);
  }

  @Test
  void log_nearZero_matchesFiniteDifferencesAndOneOverX() {
    // h = 1e-6 is 1/1000 of x; truncation h²·|f'''|/6 = 1e-12·2e9/6 ≈ 3e-4 next to f' = 1000.
    Value x = Value.of(1e-3);
    Value y = x.log();

    GradCheck.assertGradients(y, List.of(x), GradCheck.STEP, 1e-6, 0);

    assertEquals(1000.0, x.grad(), 1e-9);
    assertEquals(Math.log(1e-3), y.data(), 0.0);
  }

  @Test
  void log_ofNegative_isNaNWithoutException() {
    Value y = Value.of(-1.0).log();

    assertTrue(Double.isNaN(y.data()));
  }

  @Test
  void log_ofZero_isMinusInfinityWithInfiniteGradient() {
    Value x = Value.of(0.0);
    Value y = x.log();

    y.backward();

    assertEquals(Double.NEGATIVE_INFINITY, y.data());
    assertEquals(Double.POSITIVE_INFINITY, x.grad());
  }

  /** The true derivative sech²(x) is 4e^-2|x| ≤ 2e-17 here; 0 or a tiny number are both right. */
  @ParameterizedTest
  @ValueSource(doubles = {20, -20, 400, -400})
  void tanh_saturated_isFiniteWithGradientZeroOrTiny(double x) {
    Value leaf = Value.of(x);
    Value y = leaf.tanh();

    y.backward();

    assertEquals(Math.signum(x), y.data(), 1e-15);
    assertTrue(leaf.grad() >= 0 && leaf.grad() <= 1e-15, "grad " + leaf.grad());
  }

  @ParameterizedTest
  @ValueSource(doubles = {1000, -1000, 800, -800, Double.MAX_VALUE, -Double.MAX_VALUE})
  void sigmoid_huge_isFiniteAndSaturated(double x) {
    Value leaf = Value.of(x);
    Value y = leaf.sigmoid();

    y.backward();

    assertEquals(x > 0 ? 1.0 : 0.0, y.data(), 0.0);
    assertEquals(0.0, leaf.grad(), 0.0);
  }

  /** softplus(x) = x + log1p(e^-x) → x for large x, and log1p(e^x) → 0 for very negative x. */
  @ParameterizedTest
  @ValueSource(doubles = {1000, -1000, 800, -800})
  void softplus_huge_isFiniteAndAsymptoticallyRight(double x) {
    Value leaf = Value.of(x);
    Value y = leaf.softplus();

    y.backward();

    assertEquals(Math.max(x, 0), y.data(), 0.0);
    assertEquals(x > 0 ? 1.0 : 0.0, leaf.grad(), 0.0);
  }

  @ParameterizedTest
  @ValueSource(doubles = {-30, -3, -0.5, 0, 0.5, 3, 30})
  void softplus_moderate_matchesTheTextbookFormula(double x) {
    Value y = Value.of(x).softplus();

    assertEquals(Math.log1p(Math.exp(x)), y.data(), 1e-15 * Math.max(1, Math.abs(x)));
  }

  @ParameterizedTest
  @ValueSource(doubles = {-3, -2, -1, -0.5, 0.5, 1.5, 2})
  void pow_atSeveralBasesAndExponents_matchesFiniteDifferences(double k) {
    for (double x : new double[] {0.25, 0.9, 1.0, 2.5}) {
      Value leaf = Value.of(x);
      Value y = leaf.pow(k);

      GradCheck.assertGradients(y, List.of(leaf), GradCheck.STEP, 1e-6, 1e-8);
    }
  }

  @Test
  void pow_fractionalExponentOfNegativeBase_isNaNAsMathPow() {
    Value y = Value.of(-4.0).pow(0.5);

    assertTrue(Double.isNaN(y.data()));
  }

  @Test
  void pow_zeroExponentAtZero_isOneWithGradientZero() {
    // x^0 is the constant 1, so its derivative is 0 everywhere, including at x = 0.
    Value x = Value.of(0.0);
    Value y = x.pow(0);

    y.backward();

    assertEquals(1.0, y.data());
    assertEquals(0.0, x.grad(), 0.0);
  }

  @Test
  void pow_squareAtZero_hasGradientZero() {
    assertEquals(0.0, gradientAt(v -> v.pow(2), 0.0), 0.0);
  }

  @Test
  void div_valueByItself_hasGradientExactlyZero() {
    Value x = Value.of(-3.7);
    Value y = x.div(x);

    y.backward();

    assertEquals(1.0, y.data());
    assertEquals(0.0, x.grad(), 0.0);
  }

  @Test
  void div_byZero_isInfiniteWithoutException() {
    Value y = Value.of(1.0).div(0.0);

    assertEquals(Double.POSITIVE_INFINITY, y.data());
  }

  @Test
  void div_byNegative_matchesQuotientRule() {
    // d(a/b)/da = 1/b, d(a/b)/db = -a/b²: with a = 3, b = -2 these are -0.5 and -0.75.
    Value a = Value.of(3.0);
    Value b = Value.of(-2.0);

    a.div(b).backward();

    assertEquals(-0.5, a.grad(), 0.0);
    assertEquals(-0.75, b.grad(), 0.0);
  }

  @Test
  void neg_andSub_haveGradientMinusOne() {
    Value x = Value.of(2.0);
    Value y = Value.of(5.0);

    Value.sum(x.neg(), Value.of(0.0).sub(y)).backward();

    assertEquals(-1.0, x.grad());
    assertEquals(-1.0, y.grad());
  }
}
