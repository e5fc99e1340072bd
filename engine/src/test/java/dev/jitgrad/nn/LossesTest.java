package dev.jitgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LossesTest {

  @Test
  void meanSquaredError_threePredictions_equalsHandFormulaWithGradients() {
    List<Value> p = List.of(Value.of(1.5), Value.of(-2.0), Value.of(0.25));
    double[] t = {1.0, 1.0, 1.0};

    Value loss = Losses.meanSquaredError(p, t);
    loss.backward();

    // ((0.5)² + (-3)² + (-0.75)²) / 3, and d/dpᵢ = 2(pᵢ - tᵢ)/3.
    assertEquals((0.25 + 9.0 + 0.5625) / 3, loss.data(), 1e-15);
    assertEquals(2 * 0.5 / 3, p.get(0).grad(), 1e-15);
    assertEquals(2 * -3.0 / 3, p.get(1).grad(), 1e-15);
    assertEquals(2 * -0.75 / 3, p.get(2).grad(), 1e-15);
  }

  @Test
  void meanSquaredError_sizeMismatch_throwsNamingBothSizes() {
    List<Value> p = List.of(Value.of(1), Value.of(2), Value.of(3));

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Losses.meanSquaredError(p, new double[2]));

    assertTrue(e.getMessage().contains("3") && e.getMessage().contains("2"), e.getMessage());
  }

  @Test
  void mean_emptyList_throwsIllegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> Losses.mean(List.of()));
    assertThrows(
        IllegalArgumentException.class, () -> Losses.meanSquaredError(List.of(), new double[0]));
  }

  @ParameterizedTest
  @CsvSource({"2.0, 1", "0.5, 1", "1.0, 1", "-0.3, 1", "2.0, -1", "-0.5, -1", "-3.0, -1", "0, -1"})
  void svmMaxMargin_scoreAndLabel_isHingeWithItsGradient(double score, double label) {
    Value s = Value.of(score);

    Value loss = Losses.svmMaxMargin(s, label);
    loss.backward();

    double margin = 1 - label * score;
    assertEquals(Math.max(0, margin), loss.data(), 1e-15);
    // d/ds max(0, 1 - y·s) is -y where the margin is positive, else 0 (relu's convention at 0).
    assertEquals(margin > 0 ? -label : 0.0, s.grad(), 0.0);
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.0, 2.0, 0.5, Double.NaN})
  void svmMaxMargin_labelNotPlusOrMinusOne_throwsNamingTheLabel(double label) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Losses.svmMaxMargin(Value.of(1), label));

    assertTrue(e.getMessage().contains(String.valueOf(label)), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({
    "-5, 0",
    "-5, 1",
    "-1.5, 0.3",
    "0, 0",
    "0, 1",
    "0.7, 0.5",
    "2, 1",
    "5, 0",
    "5, 1",
    "12, 0.9"
  })
  void binaryCrossEntropyWithLogits_moderateLogit_matchesTextbookFormula(double z, double y) {
    Value logit = Value.of(z);

    Value loss = Losses.binaryCrossEntropyWithLogits(logit, y);
    loss.backward();

    assertEquals(Math.log(1 + Math.exp(z)) - y * z, loss.data(), 1e-14);
    assertEquals(1 / (1 + Math.exp(-z)) - y, logit.grad(), 1e-15);
  }

  @Test
  void binaryCrossEntropyWithLogits_confidentlyWrong_isFiniteAndAsymptoticallyRight() {
    // log(1 + e^z) - y·z → z for z → +∞ with y = 0, and → -z for z → -∞ with y = 1.
    Value high = Value.of(1000);
    Value low = Value.of(-1000);

    Value lossHigh = Losses.binaryCrossEntropyWithLogits(high, 0);
    Value lossLow = Losses.binaryCrossEntropyWithLogits(low, 1);
    lossHigh.backward();
    lossLow.backward();

    assertEquals(1000.0, lossHigh.data(), 1e-12);
    assertEquals(1000.0, lossLow.data(), 1e-12);
    assertEquals(1.0, high.grad(), 0.0);
    assertEquals(-1.0, low.grad(), 0.0);
  }

  @Test
  void binaryCrossEntropyWithLogits_confidentlyRight_isZeroAndFinite() {
    Value high = Value.of(1000);

    Value loss = Losses.binaryCrossEntropyWithLogits(high, 1);
    loss.backward();

    assertEquals(0.0, loss.data(), 1e-12);
    assertEquals(0.0, high.grad(), 0.0);
  }

  @ParameterizedTest
  @ValueSource(doubles = {-0.1, 1.5, Double.NaN, Double.POSITIVE_INFINITY})
  void binaryCrossEntropyWithLogits_labelOutsideUnitInterval_throwsNamingTheLabel(double label) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Losses.binaryCrossEntropyWithLogits(Value.of(0), label));

    assertTrue(e.getMessage().contains(String.valueOf(label)), e.getMessage());
  }

  @Test
  void l2_parameters_isAlphaTimesSumOfSquaresWithGradient() {
    List<Value> p = List.of(Value.of(0.5), Value.of(-2.0), Value.of(3.0));

    Value penalty = Losses.l2(p, 1e-2);
    penalty.backward();

    assertEquals(1e-2 * (0.25 + 4.0 + 9.0), penalty.data(), 1e-15);
    assertEquals(2 * 1e-2 * 0.5, p.get(0).grad(), 1e-16);
    assertEquals(2 * 1e-2 * -2.0, p.get(1).grad(), 1e-16);
    assertEquals(2 * 1e-2 * 3.0, p.get(2).grad(), 1e-16);
  }

  @Test
  void l2_noParameters_isZero() {
    assertEquals(0.0, Losses.l2(List.of(), 0.5).data());
  }

  @ParameterizedTest
  @CsvSource({"0.3, 1", "0.3, -1", "-2.5, 1", "1.5, 1"})
  void svmMaxMargin_valueLabel_matchesDoubleLabelValueAndGradient(double score, double label) {
    Value s1 = Value.of(score);
    Value s2 = Value.of(score);
    Value y = Value.of(label);

    Value byDouble = Losses.svmMaxMargin(s1, label);
    Value byValue = Losses.svmMaxMargin(s2, y);
    byDouble.backward();
    byValue.backward();

    assertEquals(Math.max(0, 1 - label * score), byValue.data(), 0.0);
    assertEquals(byDouble.data(), byValue.data(), 0.0);
    assertEquals(s1.grad(), s2.grad(), 0.0);
  }

  @Test
  void meanSquaredError_valueTargets_equalsHandFormulaWithGradients() {
    List<Value> p = List.of(Value.of(1.5), Value.of(-2.0), Value.of(0.25));
    List<Value> t = List.of(Value.of(1.0), Value.of(0.5), Value.of(0.25));

    Value mse = Losses.meanSquaredError(p, t);
    mse.backward();

    assertEquals((0.25 + 6.25 + 0.0) / 3, mse.data(), 1e-15);
    assertEquals(2 * 0.5 / 3, p.get(0).grad(), 1e-15);
    assertEquals(2 * -2.5 / 3, p.get(1).grad(), 1e-15);
    assertEquals(-2 * 0.5 / 3, t.get(0).grad(), 1e-15);
  }

  @Test
  void meanSquaredError_valueTargetsOfOtherSize_throwsNamingBothSizes() {
    List<Value> p = List.of(Value.of(1), Value.of(2));
    List<Value> t = List.of(Value.of(1));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Losses.meanSquaredError(p, t));

    assertTrue(e.getMessage().contains("2") && e.getMessage().contains("1"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"0.7, 1", "0.7, 0", "-3.0, 0.25"})
  void binaryCrossEntropyWithLogits_valueLabel_isSoftplusMinusLabelTimesLogit(double z, double y) {
    Value logit = Value.of(z);

    Value loss = Losses.binaryCrossEntropyWithLogits(logit, Value.of(y));
    loss.backward();

    assertEquals(Math.log1p(Math.exp(z)) - y * z, loss.data(), 1e-15);
    assertEquals(1 / (1 + Math.exp(-z)) - y, logit.grad(), 1e-15);
  }
}
