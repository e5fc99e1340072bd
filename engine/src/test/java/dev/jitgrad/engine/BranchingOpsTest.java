package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The derivative conventions of max, min, abs, clamp and where, pinned by value where finite
 * differences cannot decide (ties, kinks, NaN). The expected numbers are the conventions,
 * checked against PyTorch 1.13 ({@code torch.maximum}, {@code torch.minimum}, {@code torch.abs},
 * {@code torch.clamp}, {@code torch.where}, float64, {@code backward()} of the single op).
 */
class BranchingOpsTest {
  private static final double NAN = Double.NaN;

  /** Returns {value, grad of a, grad of b} of {@code op(a, b)}. */
  private static double[] binary(String op, double a, double b) {
    Value x = Value.of(a);
    Value y = Value.of(b);
    Value out = op.equals("max") ? x.max(y) : x.min(y);

    out.backward();

    return new double[] {out.data(), x.grad(), y.grad()};
  }

  private static void assertSameNumber(double expected, double actual, String what) {
    assertEquals(expected, actual, 0.0, what); // delta 0: NaN equals NaN, 0.0 equals -0.0
  }

  @ParameterizedTest
  @CsvSource({
    // op, a, b, value, da, db
    "max, 1, 1, 1, 0.5, 0.5",
    "max, 2, 1, 2, 1, 0",
    "max, 1, 2, 2, 0, 1",
    "max, Infinity, Infinity, Infinity, 0.5, 0.5",
    "max, NaN, 1, NaN, 1, 1",
    "max, 1, NaN, NaN, 1, 1",
    "max, NaN, NaN, NaN, 1, 1",
    "min, 1, 1, 1, 0.5, 0.5",
    "min, 2, 1, 1, 0, 1",
    "min, 1, 2, 1, 1, 0",
    "min, -Infinity, -Infinity, -Infinity, 0.5, 0.5",
    "min, NaN, 1, NaN, 1, 1",
    "min, 1, NaN, NaN, 1, 1",
  })
  void maxAndMin_tiesKinksAndNaN_followPyTorchConventions(
      String op, double a, double b, double value, double da, double db) {
    double[] actual = binary(op, a, b);

    assertSameNumber(value, actual[0], op + " value");
    assertSameNumber(da, actual[1], op + " gradient of a");
    assertSameNumber(db, actual[2], op + " gradient of b");
  }

  @ParameterizedTest
  @CsvSource({"max, 0.0, -0.0", "max, -0.0, 0.0", "min, 0.0, -0.0", "min, -0.0, 0.0"})
  void maxAndMin_signedZeros_areATieWithHalfToEachSide(String op, double a, double b) {
    double[] actual = binary(op, a, b);

    assertEquals(0.5, actual[1], 0.0);
    assertEquals(0.5, actual[2], 0.0);
  }

  @Test
  void max_sameOperandTwice_passesTheWholeGradient() {
    Value x = Value.of(3);

    x.max(x).backward();

    assertEquals(1.0, x.grad(), 0.0);
  }

  @Test
  void maxAndMin_doubleOverloads_equalTheValueForms() {
    Value x = Value.of(-2);

    Value max = x.max(1.5);
    Value min = x.min(1.5);
    max.add(min.mul(10)).backward();

    assertEquals(1.5, max.data(), 0.0);
    assertEquals(-2.0, min.data(), 0.0);
    assertEquals(10.0, x.grad(), 0.0); // x is the min (weight 1), not the max (weight 0)
  }

  @ParameterizedTest
  @CsvSource({
    // x, |x|, d|x|/dx
    "2, 2, 1",
    "-2, 2, -1",
    "0.0, 0, 0",
    "-0.0, 0, 0",
    "Infinity, Infinity, 1",
    "-Infinity, Infinity, -1",
    "NaN, NaN, 0",
  })
  void abs_signZeroAndNaN_followPyTorchConventions(double x, double value, double grad) {
    Value leaf = Value.of(x);
    Value out = leaf.abs();

    out.backward();

    assertSameNumber(value, out.data(), "abs value");
    assertSameNumber(grad, leaf.grad(), "abs gradient");
  }

  @ParameterizedTest
  @CsvSource({
    // x, clamp(x, 0, 1), gradient: 1 on [0, 1], bounds included, else 0
    "-1, 0, 0",
    "0, 0, 1",
    "0.5, 0.5, 1",
    "1, 1, 1",
    "2, 1, 0",
    "Infinity, 1, 0",
    "NaN, NaN, 0",
  })
  void clamp_insideAtAndOutsideBounds_followPyTorchConventions(
      double x, double value, double grad) {
    Value leaf = Value.of(x);
    Value out = leaf.clamp(0, 1);

    out.backward();

    assertSameNumber(value, out.data(), "clamp value");
    assertSameNumber(grad, leaf.grad(), "clamp gradient");
  }

  @Test
  void clamp_negativeZeroInsideBounds_returnsItUnchanged() {
    Value out = Value.of(-0.0).clamp(0.0, 1.0);

    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(out.data()));
  }

  @Test
  void clamp_singlePointRange_passesGradientOnlyAtThePoint() {
    Value at = Value.of(0.25);
    Value off = Value.of(0.3);

    at.clamp(0.25, 0.25).backward();
    off.clamp(0.25, 0.25).backward();

    assertEquals(1.0, at.grad(), 0.0);
    assertEquals(0.0, off.grad(), 0.0);
  }

  @ParameterizedTest
  @CsvSource({"1, 0", "0, NaN", "NaN, 0", "NaN, NaN"})
  void clamp_boundsNotOrdered_throwsNamingBoth(double lo, double hi) {
    Value x = Value.of(0);

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> x.clamp(lo, hi));

    assertEquals(
        "clamp needs lo <= hi (and neither NaN), got lo = " + lo + " and hi = " + hi,
        e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({
    // condition, value, gradient of ifPositive, gradient of otherwise
    "1, 2, 1, 0",
    "Infinity, 2, 1, 0",
    "4.9e-324, 2, 1, 0",
    "0.0, 3, 0, 1",
    "-0.0, 3, 0, 1",
    "-1, 3, 0, 1",
    "NaN, 3, 0, 1",
  })
  void where_condition_choosesASideAndSendsItTheGradient(
      double condition, double value, double gradA, double gradB) {
    Value c = Value.of(condition);
    Value a = Value.of(2);
    Value b = Value.of(3);
    Value out = Value.where(c, a, b);

    out.backward();

    assertSameNumber(value, out.data(), "where value");
    assertEquals(0.0, c.grad(), 0.0);
    assertEquals(gradA, a.grad(), 0.0);
    assertEquals(gradB, b.grad(), 0.0);
  }

  @Test
  void where_logOnTheUnchosenSideAtZero_hasNaNGradientAsPyTorch() {
    Value x = Value.of(0.0);
    Value out = Value.where(x, x.log(), Value.of(0));

    out.backward();

    assertEquals(0.0, out.data(), 0.0);
    assertTrue(Double.isNaN(x.grad()), "0 into log's rule gives 0/0, got " + x.grad());
  }

  @Test
  void where_logOfClampedArgumentAtZero_hasZeroGradient() {
    Value x = Value.of(0.0);
    Value out = Value.where(x, x.max(1e-300).log(), Value.of(0));

    out.backward();

    assertEquals(0.0, out.data(), 0.0);
    assertEquals(0.0, x.grad(), 0.0);
  }

  @Test
  void where_conditionWithInfiniteDerivative_sendsNothingIntoIt() {
    Value x = Value.of(0.0);
    Value a = Value.of(2);
    Value b = Value.of(3);
    Value out = Value.where(x.log(), a, b); // log'(0) = ∞: a zero adjoint would make it NaN

    out.backward();

    assertEquals(3.0, out.data(), 0.0);
    assertEquals(0.0, x.grad(), 0.0);
    assertEquals(1.0, b.grad(), 0.0);
  }

  @Test
  void where_conditionAlsoReadElsewhere_passesOnWhatTheOtherReaderSends() {
    Value x = Value.of(2.0);
    Value l = x.log(); // the where's condition, and a term of the sum
    Value out = Value.where(l, Value.of(3), Value.of(4)).add(l.mul(5));

    out.backward();
    out.backward(); // inner nodes start again from nothing reached

    assertEquals(3.0 + 5 * Math.log(2.0), out.data(), 1e-15);
    assertEquals(2 * 5 / 2.0, x.grad(), 0.0);
  }

  @Test
  void where_forwardAfterSetData_takesTheNewBranch() {
    Value x = Value.of(1.0);
    Value out = Value.where(x, x.mul(10), x.mul(-100));
    out.backward();
    double before = x.grad();
    x.zeroGrad();

    x.setData(-1.0);
    out.forward();
    out.backward();

    assertEquals(10.0, before, 0.0);
    assertEquals(100.0, out.data(), 0.0);
    assertEquals(-100.0, x.grad(), 0.0);
  }

  @Test
  void where_nullOperand_throwsNamingIt() {
    Value v = Value.of(1);

    NullPointerException e =
        assertThrows(NullPointerException.class, () -> Value.where(v, null, v));

    assertEquals("the operand of where (ifPositive) is null", e.getMessage());
  }

  @Test
  void constant_clampAndPow_returnTheirConstants() {
    Value x = Value.of(1);

    Value clamp = x.clamp(-2, 3);
    Value pow = x.pow(2.5);

    assertEquals(List.of(-2.0, 3.0), List.of(clamp.constant(0), clamp.constant(1)));
    assertEquals(List.of(2.5, 0.0), List.of(pow.constant(0), pow.constant(1)));
    assertEquals(0.0, clamp.exponent(), 0.0);
    assertEquals(0.0, x.constant(0), 0.0);
    assertThrows(IndexOutOfBoundsException.class, () -> x.constant(2));
  }
}
