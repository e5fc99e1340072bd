package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Init;
import dev.jitgrad.nn.MLP;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DigitsTrainingTest {
  private static final Digits DIGITS = Digits.load();

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void train_defaultRecipe_atLeast95PercentHeldOut(long seed) {
    DigitsTraining.Result r =
        DigitsTraining.train(
            DIGITS, "digits", seed, DigitsTraining.EPOCHS, EngineKind.COMPILED, Progress.SILENT);

    int[][] confusion = r.confusion();
    int right = 0;
    for (int c = 0; c < Digits.CLASSES; c++) {
      right += confusion[c][c];
    }
    double accuracy = (double) right / r.predictions().length;
    assertTrue(accuracy >= 0.95, "held-out accuracy " + accuracy);
    assertEquals(accuracy, r.training().heldOutAccuracy(), 1e-12, "Training's own evaluation");
  }

  @Test
  void train_interpreterGradients_sameParametersAsCompiledWithin1e9() {
    DigitsTraining.Result compiled =
        DigitsTraining.train(DIGITS, "digits", 7, 1, EngineKind.COMPILED, Progress.SILENT);

    DigitsTraining.Result interpreted =
        DigitsTraining.train(DIGITS, "digits", 7, 1, EngineKind.INTERPRETER, Progress.SILENT);

    assertEquals(compiled.training().steps(), interpreted.training().steps());
    double difference = compiled.training().maxRelativeDifference(interpreted.training());
    assertTrue(difference <= 1e-9, "difference " + difference);
    assertFalse(
        Arrays.equals(initialParameters(7), compiled.training().parameters()), "no training");
  }

  @Test
  void digitsLoss_randomLogits_isLogSumExpMinusTheLabelsLogitWithSoftmaxGradient() {
    SplittableRandom random = new SplittableRandom(11);
    for (int trial = 0; trial < 20; trial++) {
      int label = random.nextInt(Digits.CLASSES);
      double[] z = new double[Digits.CLASSES];
      List<Value> logits = new ArrayList<>();
      List<Value> oneHot = new ArrayList<>();
      double sum = 0;
      for (int k = 0; k < z.length; k++) {
        z[k] = random.nextDouble(-20, 20);
        sum += Math.exp(z[k]);
        logits.add(Value.of(z[k]));
        oneHot.add(Value.of(k == label ? 1.0 : 0.0));
      }

      Value loss = DigitsTraining.digitsLoss(logits, oneHot);
      loss.backward();

      assertEquals(Math.log(sum) - z[label], loss.data(), 1e-12, "trial " + trial);
      for (int k = 0; k < z.length; k++) {
        double softmax = Math.exp(z[k]) / sum;
        assertEquals(softmax - (k == label ? 1 : 0), logits.get(k).grad(), 1e-12, "logit " + k);
      }
    }
  }

  @Test
  void split_shippedDigits_holdsOutAFifthOfEachDigitOnce() {
    DigitsTraining.Split split = DigitsTraining.split(DIGITS, new SplittableRandom(3), "digits");

    int[] perClass = new int[Digits.CLASSES];
    int[] heldPerClass = new int[Digits.CLASSES];
    for (int i = 0; i < DIGITS.size(); i++) {
      perClass[DIGITS.label(i)]++;
    }
    Set<Integer> held = new HashSet<>();
    for (int i : split.heldOutIndices()) {
      assertTrue(held.add(i), "row " + i + " held out twice");
      heldPerClass[DIGITS.label(i)]++;
    }
    for (int c = 0; c < Digits.CLASSES; c++) {
      assertEquals(Math.round(0.2 * perClass[c]), heldPerClass[c], "digit " + c);
    }
    assertEquals(DIGITS.size(), split.train().size() + split.heldOut().size());
    int first = split.heldOutIndices()[0];
    assertEquals(DIGITS.pixel(first, 3) / 16, split.heldOut().features()[0][3], 0.0);
    assertEquals(1.0, split.heldOut().labels()[0][DIGITS.label(first)], 0.0);
  }

  @Test
  void split_twoDigits_throwsNamingTheSourceAndCount() throws Exception {
    String zeros = "0,".repeat(Digits.PIXELS);
    byte[] csv = (zeros + "1\n" + zeros + "2\n").getBytes(StandardCharsets.UTF_8);
    Digits two = Digits.parse(new ByteArrayInputStream(csv), "two.csv");

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DigitsTraining.split(two, new SplittableRandom(1), "two.csv"));

    assertTrue(e.getMessage().startsWith("two.csv holds 2 digits, too few"), e.getMessage());
  }

  /** The model's initial weights, drawn as {@code DigitsTraining.train} draws them. */
  private static double[] initialParameters(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    random.split();
    return Values.data(
        new MLP(random.split(), Init.HE, Digits.PIXELS, DigitsTraining.HIDDEN, Digits.CLASSES)
            .parameters());
  }
}
