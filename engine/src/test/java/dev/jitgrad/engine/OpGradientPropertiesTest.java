package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Scale;

/**
 * Every op's backward rule against central finite differences, at random points of its domain.
 *
 * <p>Tolerances: with h = 1e-6 the central difference errs by about h²·|f'''|/6 (truncation) plus
 * eps·|f|/h (rounding). On the ranges below |f| ≤ ~2·10⁴ and the relative rounding error on the
 * derivative stays under ~1e-9, while |f'''| ≤ ~10⁶ keeps truncation under ~1e-7 absolute next to
 * derivatives of the same large size. So rtol 1e-6 with atol 1e-7 (for derivatives near 0, where
 * the rounding term eps·|f|/h ≈ 2e-8 for |f| ≤ 100 dominates) leaves a margin of 10x or more.
 */
class OpGradientPropertiesTest {
  private static final double RTOL = 1e-6;
  private static final double ATOL = 1e-7;

  private static void checkUnary(UnaryOperator<Value> op, double x) {
    Value leaf = Value.of(x);

    Value out = op.apply(leaf);

    GradCheck.assertGradients(out, List.of(leaf), GradCheck.STEP, RTOL, ATOL);
  }

  private static void checkBinary(BinaryOperator<Value> op, double a, double b) {
    Value left = Value.of(a);
    Value right = Value.of(b);

    Value out = op.apply(left, right);

    GradCheck.assertGradients(out, List.of(left, right), GradCheck.STEP, RTOL, ATOL);
  }

  @Property(tries = 100)
  void add_anyPoint_matchesFiniteDifferences(
      @ForAll @DoubleRange(min = -10, max = 10) double a,
      @ForAll @DoubleRange(min = -10, max = 10) double b) {
    checkBinary(Value::add, a, b);
  }

  @Property(tries = 100)
  void sub_anyPoint_matchesFiniteDifferences(
      @ForAll @DoubleRange(min = -10, max = 10) double a,
      @ForAll @DoubleRange(min = -10, max = 10) double b) {
    checkBinary(Value::sub, a, b);
  }

  @Property(tries = 100)
  void mul_anyPoint_matchesFiniteDifferences(
      @ForAll @DoubleRange(min = -10, max = 10) double a,
      @ForAll @DoubleRange(min = -10, max = 10) double b) {
    checkBinary(Value::mul, a, b);
  }

  @Property(tries = 100)
  void div_denominatorAwayFromZero_matchesFiniteDifferences(
      @ForAll @DoubleRange(min = -10, max = 10) double a,
      @ForAll @DoubleRange(min = 0.1, max = 10) double magnitude,
      @ForAll boolean negative) {
    checkBinary(Value::div, a, negative ? -magnitude : magnitude);
  }

  @Property(tries = 200)
  void pow_positiveBase_matchesFiniteDifferences(
      @ForAll("exponents") double k, @ForAll @DoubleRange(min = 0.2, max = 4) double x) {
    checkUnary(v -> v.pow(k), x);
  }

  @Property(tries = 100)
  void pow_negativeBaseIntegerExponent_matchesFiniteDifferences(
      @ForAll("integerExponents") double k, @ForAll @DoubleRange(min = 0.2, max = 4) double x) {
    checkUnary(v -> v.pow(k), -x);
  }

  @Provide
  Arbitrary<Double> exponents() {
    return Arbitraries.of(-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 0.3, -1.7);
  }

  @Provide
  Arbitrary<Double> integerExponents() {
    return Arbitraries.of(-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0);
  }

  @Property(tries = 100)
  void neg_anyPoint_matchesFiniteDifferences(@ForAll @DoubleRange(min = -10, max = 10) double x) {
    checkUnary(Value::neg, x);
  }

  @Property(tries = 100)
  void exp_anyPoint_matchesFiniteDifferences(@ForAll @DoubleRange(min = -10, max = 10) double x) {
    checkUnary(Value::exp, x);
  }

  @Property(tries = 100)
  void log_positivePoint_matchesFiniteDifferences(
      @ForAll @DoubleRange(min = 0.01, max = 100) double x) {
    checkUnary(Value::log, x);
  }

  @Property(tries = 100)
  void tanh_anyPoint_matchesFiniteDifferences(@ForAll @DoubleRange(min = -10, max = 10) double x) {
    checkUnary(Value::tanh, x);
  }

  /** Points within h of the kink are excluded: there finite differences average both sides. */
  @Property(tries = 100)
  void relu_awayFromKink_matchesFiniteDifferences(
      @ForAll @DoubleRange(min = 1e-3, max = 10) @Scale(6) double magnitude,
      @ForAll boolean negative) {
    checkUnary(Value::relu, negative ? -magnitude : magnitude);
  }

  @Property(tries = 100)
  void sigmoid_anyPoint_matchesFiniteDifferences(
      @ForAll @DoubleRange(min = -30, max = 30) double x) {
    checkUnary(Value::sigmoid, x);
  }

  @Property(tries = 100)
  void softplus_anyPoint_matchesFiniteDifferences(
      @ForAll @DoubleRange(min = -30, max = 30) double x) {
    checkUnary(Value::softplus, x);
  }

  @Property(tries = 100)
  void sum_ofSharedTerms_matchesFiniteDifferences(
      @ForAll @DoubleRange(min = -10, max = 10) double a,
      @ForAll @DoubleRange(min = -10, max = 10) double b) {
    checkBinary((x, y) -> Value.sum(x, y, x, x.mul(y)), a, b);
  }

  /** Points within h of the kink a = b are excluded there; the tie itself is checked below. */
  @Property(tries = 100)
  void maxAndMin_awayFromTies_matchFiniteDifferences(
      @ForAll @DoubleRange(min = -10, max = 10) double a,
      @ForAll @DoubleRange(min = 1e-3, max = 10) @Scale(6) double gap,
      @ForAll boolean aLarger) {
    double b = aLarger ? a - gap : a + gap;
    checkBinary(Value::max, a, b);
    checkBinary(Value::min, a, b);
  }

  /** At a tie, a central difference moves each side half its step: the ½ convention. */
  @Property(tries = 50)
  void maxAndMin_atATie_matchFiniteDifferences(@ForAll @DoubleRange(min = -10, max = 10) double a) {
    checkBinary(Value::max, a, a);
    checkBinary(Value::min, a, a);
  }

  @Property(tries = 100)
  void abs_awayFromZero_matchesFiniteDifferences(
      @ForAll @DoubleRange(min = 1e-3, max = 10) @Scale(6) double magnitude,
      @ForAll boolean negative) {
    checkUnary(Value::abs, negative ? -magnitude : magnitude);
  }

  /** At 0 the central difference of |x| is 0, the abs'(0) = 0 convention. */
  @Property(tries = 1)
  void abs_atZero_matchesFiniteDifferences() {
    checkUnary(Value::abs, 0.0);
  }

  @Property(tries = 200)
  void clamp_awayFromBounds_matchesFiniteDifferences(
      @ForAll @DoubleRange(min = -10, max = 10) double x,
      @ForAll @DoubleRange(min = -10, max = 10) double lo,
      @ForAll @DoubleRange(min = 0, max = 10) double width) {
    Assume.that(Math.abs(x - lo) > 1e-3 && Math.abs(x - (lo + width)) > 1e-3);
    checkUnary(v -> v.clamp(lo, lo + width), x);
  }

  /**
   * At a bound the central difference averages the flat and the sloped side (½); the inclusive
   * convention is the one-sided difference from inside the range, which is 1.
   */
  @Property(tries = 100)
  void clamp_atEitherBound_matchesOneSidedDifferenceFromInside(
      @ForAll @DoubleRange(min = -10, max = 10) double lo,
      @ForAll @DoubleRange(min = 0.01, max = 10) double width,
      @ForAll boolean upper) {
    double hi = lo + width;
    double x = upper ? hi : lo;
    double inside = upper ? x - GradCheck.STEP : x + GradCheck.STEP;
    double oneSided =
        (Value.of(inside).clamp(lo, hi).data() - Value.of(x).clamp(lo, hi).data()) / (inside - x);
    Value leaf = Value.of(x);

    leaf.clamp(lo, hi).backward();

    assertEquals(oneSided, leaf.grad(), 1e-6);
    assertEquals(1.0, leaf.grad(), 0.0);
  }

  @Property(tries = 100)
  void where_conditionAwayFromZero_matchesFiniteDifferencesForAllThree(
      @ForAll @DoubleRange(min = 1e-3, max = 10) @Scale(6) double magnitude,
      @ForAll boolean positive,
      @ForAll @DoubleRange(min = -10, max = 10) double a,
      @ForAll @DoubleRange(min = -10, max = 10) double b) {
    Value c = Value.of(positive ? magnitude : -magnitude);
    Value left = Value.of(a);
    Value right = Value.of(b);

    Value out = Value.where(c, left.mul(left), right.exp());

    GradCheck.assertGradients(out, List.of(c, left, right), GradCheck.STEP, RTOL, ATOL);
  }
}
