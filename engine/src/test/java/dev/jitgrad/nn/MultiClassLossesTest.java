package dev.jitgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jitgrad.engine.GradCheck;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * logSumExp, softmax and softmax cross-entropy against textbook formulas in doubles, central
 * differences, and at logits of ±1e4, where the unshifted formula overflows.
 */
class MultiClassLossesTest {
  /** The textbook softmax, shifted by the largest logit (the oracle, not the code under test). */
  private static double[] softmaxOf(double[] z) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      m = Math.max(m, v);
    }
    double total = 0;
    double[] p = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      p[i] = Math.exp(z[i] - m);
      total += p[i];
    }
    for (int i = 0; i < z.length; i++) {
      p[i] /= total;
    }
    return p;
  }

  private static List<Value> values(double... z) {
    List<Value> out = new ArrayList<>();
    for (double v : z) {
      out.add(Value.of(v));
    }
    return out;
  }

  private static double[] unboxed(List<Double> z) {
    return z.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static void assertArrayClose(double[] expected, double[] actual, double tolerance) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tolerance, "element " + i);
    }
  }

  @Test
  void logSumExp_moderateLogits_equalsDirectFormula() {
    List<Value> z = values(0.5, -1.25, 2.0);

    Value lse = Losses.logSumExp(z);

    assertEquals(Math.log(Math.exp(0.5) + Math.exp(-1.25) + Math.exp(2.0)), lse.data(), 1e-15);
  }

  @Property(tries = 200)
  void logSumExp_randomLogits_gradientIsSoftmaxAndMatchesFiniteDifferences(
      @ForAll @Size(min = 1, max = 8) List<@DoubleRange(min = -20, max = 20) Double> logits) {
    double[] z = unboxed(logits);
    List<Value> leaves = values(z);

    Value lse = Losses.logSumExp(leaves);

    GradCheck.assertGradients(lse, leaves, GradCheck.STEP, 1e-6, 1e-7);
    assertArrayClose(softmaxOf(z), Values.grads(leaves), 1e-12);
  }

  @ParameterizedTest
  @ValueSource(doubles = {1e4, -1e4})
  void logSumExp_logitsOfTenThousand_isFiniteWithSoftmaxGradient(double big) {
    double[] z = {big, -big, 0, big - 1};
    List<Value> leaves = values(z);

    Value lse = Losses.logSumExp(leaves);
    lse.backward();

    // The largest logit is 1e4; beside its e^0 only big - 1 = 1e4 - 1 adds a term that does not
    // underflow, e^-1, and only when big > 0.
    double expected = big > 0 ? 1e4 + Math.log1p(Math.exp(-1)) : 1e4;
    assertEquals(expected, lse.data(), Math.ulp(1e4));
    assertArrayClose(softmaxOf(z), Values.grads(leaves), 1e-12);
  }

  @Test
  void logSumExp_tiedLargestLogits_gradientIsStillSoftmax() {
    double[] z = {3, 3, 3, -1};
    List<Value> leaves = values(z);

    Value lse = Losses.logSumExp(leaves);
    lse.backward();

    assertEquals(3 + Math.log(3 + Math.exp(-4)), lse.data(), 1e-14);
    assertArrayClose(softmaxOf(z), Values.grads(leaves), 1e-12);
  }

  @Test
  void logSumExp_tiesAtFiniteDifferencePoint_matchFiniteDifferences() {
    List<Value> leaves = values(2, 2, -1);

    Value lse = Losses.logSumExp(leaves);

    GradCheck.assertGradients(lse, leaves, GradCheck.STEP, 1e-6, 1e-7);
  }

  @Test
  void softmaxCrossEntropy_logitsOfTenThousand_matchesPyTorch() {
    // torch.nn.functional.cross_entropy([[1e4, -1e4, 0]], [1]) = 20000, gradient [1, -1, 0].
    List<Value> z = values(1e4, -1e4, 0);

    Value loss = Losses.softmaxCrossEntropy(z, 1);
    loss.backward();

    assertEquals(2e4, loss.data(), 0.0);
    assertArrayClose(new double[] {1, -1, 0}, Values.grads(z), 1e-12);
  }

  @Property(tries = 200)
  void softmaxCrossEntropy_randomLogits_gradientIsSoftmaxMinusOneHot(
      @ForAll @Size(min = 1, max = 8) List<@DoubleRange(min = -30, max = 30) Double> logits,
      @ForAll @IntRange(min = 0, max = 7) int drawn) {
    double[] z = unboxed(logits);
    int label = drawn % z.length;
    List<Value> leaves = values(z);

    Value loss = Losses.softmaxCrossEntropy(leaves, label);

    double[] expected = softmaxOf(z);
    expected[label] -= 1;
    assertEquals(-Math.log(softmaxOf(z)[label]), loss.data(), 1e-12 * (1 + loss.data()));
    GradCheck.assertGradients(loss, leaves, GradCheck.STEP, 1e-6, 1e-7);
    assertArrayClose(expected, Values.grads(leaves), 1e-12);
  }

  @Property(tries = 100)
  void softmaxCrossEntropy_oneHotValues_equalsLabelForm(
      @ForAll @Size(min = 1, max = 8) List<@DoubleRange(min = -30, max = 30) Double> logits,
      @ForAll @IntRange(min = 0, max = 7) int drawn) {
    double[] z = unboxed(logits);
    int label = drawn % z.length;
    double[] y = new double[z.length];
    y[label] = 1;
    List<Value> byLabel = values(z);
    List<Value> byOneHot = values(z);
    List<Value> oneHot = values(y);

    Value expected = Losses.softmaxCrossEntropy(byLabel, label);
    Value actual = Losses.softmaxCrossEntropy(byOneHot, oneHot);
    expected.backward();
    actual.backward();

    assertEquals(expected.data(), actual.data(), 1e-12 * (1 + expected.data()));
    assertArrayClose(Values.grads(byLabel), Values.grads(byOneHot), 1e-12);
    // d/dyᵢ Σ yⱼ·(lse - zⱼ) = lse - zᵢ: the loss of each other label.
    for (int i = 0; i < z.length; i++) {
      assertEquals(
          -Math.log(softmaxOf(z)[i]), oneHot.get(i).grad(), 1e-9 * (1 - Math.log(softmaxOf(z)[i])));
    }
  }

  @Test
  void softmaxCrossEntropy_softTargets_matchFiniteDifferences() {
    List<Value> z = values(1.5, -0.5, 0.25);
    List<Value> y = values(0.2, 0.7, 0.1);
    List<Value> all = new ArrayList<>(z);
    all.addAll(y);

    Value loss = Losses.softmaxCrossEntropy(z, y);

    GradCheck.assertGradients(loss, all, GradCheck.STEP, 1e-6, 1e-7);
  }

  @Test
  void softmax_logitsOfTenThousand_isFiniteAndSumsToOne() {
    List<Value> p = Losses.softmax(values(1e4, -1e4, 1e4 - 2));

    assertEquals(1 / (1 + Math.exp(-2)), p.get(0).data(), 1e-15);
    assertEquals(0.0, p.get(1).data(), 0.0);
    assertEquals(Math.exp(-2) / (1 + Math.exp(-2)), p.get(2).data(), 1e-15);
  }

  @Property(tries = 100)
  void softmax_randomLogits_equalsTextbookAndMatchesFiniteDifferences(
      @ForAll @Size(min = 1, max = 6) List<@DoubleRange(min = -20, max = 20) Double> logits,
      @ForAll @IntRange(min = 0, max = 5) int drawn) {
    double[] z = unboxed(logits);
    List<Value> leaves = values(z);

    List<Value> p = Losses.softmax(leaves);

    assertArrayClose(softmaxOf(z), Values.data(p), 1e-15);
    GradCheck.assertGradients(p.get(drawn % z.length), leaves, GradCheck.STEP, 1e-6, 1e-7);
  }

  @Test
  void multiClassLosses_emptyLogits_throwIllegalArgument() {
    List<Value> none = List.of();

    assertThrows(IllegalArgumentException.class, () -> Losses.logSumExp(none));
    assertThrows(IllegalArgumentException.class, () -> Losses.softmax(none));
    assertThrows(IllegalArgumentException.class, () -> Losses.softmaxCrossEntropy(none, 0));
    assertThrows(IllegalArgumentException.class, () -> Losses.softmaxCrossEntropy(none, none));
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 3, Integer.MAX_VALUE})
  void softmaxCrossEntropy_labelOutOfRange_throwsNamingIt(int label) {
    List<Value> z = values(1, 2, 3);

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Losses.softmaxCrossEntropy(z, label));

    assertEquals("label must be in [0, 3) for 3 logits, got " + label, e.getMessage());
  }

  @Test
  void softmaxCrossEntropy_oneHotOfOtherSize_throwsNamingBothSizes() {
    List<Value> z = values(1, 2, 3);
    List<Value> y = values(0, 1);

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Losses.softmaxCrossEntropy(z, y));

    assertEquals("3 logits but 2 one-hot label values", e.getMessage());
  }

  @Test
  void logSumExp_nullLogit_throwsNamingItsIndex() {
    List<Value> z = new ArrayList<>(values(1, 2));
    z.add(null);

    NullPointerException e = assertThrows(NullPointerException.class, () -> Losses.logSumExp(z));

    assertEquals("logits[2] is null", e.getMessage());
  }
}
