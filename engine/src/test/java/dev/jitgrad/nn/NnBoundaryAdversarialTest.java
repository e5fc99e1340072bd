package dev.jitgrad.nn;

import static dev.jitgrad.engine.EngineBoundaryAdversarialTest.assertMessageContains;
import static dev.jitgrad.engine.EngineBoundaryAdversarialTest.assertNpeNaming;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;

import dev.jitgrad.engine.Value;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The nn package's public argument checks under input the other tests leave out: sizes that a check
 * must refuse before anything is allocated, hyperparameters that are infinite, step counters at the
 * end of an int, gradients whose squares overflow, calls that fail half-way, and null arguments.
 * Huge sizes here are ones the JVM refuses before allocating ({@code new Object[Integer.MAX_VALUE]}
 * exceeds its array limit), so no test fills the heap.
 */
class NnBoundaryAdversarialTest {

  @Test
  void layer_zeroInputsAndHugeOutputs_throwsNamingTheInputsBeforeAllocating() {
    SplittableRandom random = new SplittableRandom(1);

    IllegalArgumentException e =
        assertThrowsBeforeAllocating(() -> new Layer(0, Integer.MAX_VALUE, true, random, Init.HE));

    assertMessageContains(e, "input");
    assertMessageContains(e, "got 0");
  }

  @Test
  void mlp_invalidLaterLayerAfterAHugeOne_throwsNamingItBeforeAllocating() {
    IllegalArgumentException e =
        assertThrowsBeforeAllocating(() -> new MLP(2, Integer.MAX_VALUE, 0));

    assertMessageContains(e, "layer 1");
    assertMessageContains(e, "got 0");
  }

  @Test
  void neuronApply_nullInput_throwsNamingItsIndex() {
    Neuron neuron = new Neuron(2, false, new SplittableRandom(1));

    assertNpeNaming("x[1]", () -> neuron.apply(Arrays.asList(Value.of(1), null)));
  }

  @Test
  void nnConstructorsApplyAndLosses_nullArguments_throwNullPointerNamingThem() {
    // these pass through the JVM's helpful NPE messages, which name a parameter when the classes
    // carry debug information (javac -g, Maven's default)
    MLP mlp = new MLP(2, 1);
    List<Value> one = List.of(Value.of(1));

    assertAll(
        () -> assertNpeNaming("layerSizes", () -> new MLP(2, (int[]) null)),
        () -> assertNpeNaming("random", () -> new Neuron(2, true, null)),
        () -> assertNpeNaming("x", () -> mlp.apply(null)),
        () -> assertNpeNaming("values", () -> Losses.mean(null)),
        () -> assertNpeNaming("predictions", () -> Losses.meanSquaredError(null, new double[1])),
        () -> assertNpeNaming("targets", () -> Losses.meanSquaredError(one, (double[]) null)),
        () -> assertNpeNaming("score", () -> Losses.svmMaxMargin(null, 1.0)),
        () -> assertNpeNaming("logit", () -> Losses.binaryCrossEntropyWithLogits(null, 1.0)),
        () -> assertNpeNaming("parameters", () -> Losses.l2(null, 1e-4)));
  }

  @Test
  void l2_alphaNaNInfiniteOrNegative_throwsNamingIt() {
    List<Value> params = List.of(Value.of(0.5));

    for (double alpha : new double[] {Double.NaN, Double.POSITIVE_INFINITY, -1e-4}) {
      IllegalArgumentException e =
          assertThrowsExactly(IllegalArgumentException.class, () -> Losses.l2(params, alpha));

      assertMessageContains(e, String.valueOf(alpha));
    }
  }

  @Test
  void moons_infiniteNoise_throwsNamingIt() {
    IllegalArgumentException e =
        assertThrowsExactly(
            IllegalArgumentException.class, () -> Dataset.moons(10, Double.POSITIVE_INFINITY, 1));

    assertMessageContains(e, "noise");
    assertMessageContains(e, "Infinity");
  }

  @Test
  void adam_infiniteEpsilon_throwsNamingIt() {
    IllegalArgumentException e =
        assertThrowsExactly(
            IllegalArgumentException.class,
            () -> new Adam(0.1, 0.9, 0.999, Double.POSITIVE_INFINITY));

    assertMessageContains(e, "epsilon");
    assertMessageContains(e, "Infinity");
  }

  /**
   * Adam decaying to 0 is accepted (a run of exactly {@code steps} steps never reaches rate 0, as
   * the digits demo's); a step past the schedule's end, at rate 0, which Adam refuses, throws
   * naming the rate and changes nothing.
   */
  @Test
  void adam_linearDecayToZero_acceptedAndAStepPastItsEndThrowsChangingNothing() {
    Optimizer decaying = new Adam(0.1).withLinearDecay(0.0, 2);
    double[] params = {1.0};
    decaying.step(params, new double[] {0.5});
    decaying.step(params, new double[] {0.5});
    double[] before = params.clone();

    IllegalArgumentException e =
        assertThrowsExactly(
            IllegalArgumentException.class, () -> decaying.step(params, new double[] {0.5}));

    assertMessageContains(e, "0.0");
    assertArrayEquals(before, params, 0.0);
  }

  @Test
  void clipGradNorm_gradientsWhoseSquaresOverflow_areScaledToTheMaxNorm() {
    double[] params = {0.0, 0.0};
    double[] grads = {3e160, 4e160};
    Sgd sgd = new Sgd(1.0).clipGradNorm(1.0);

    sgd.step(params, grads);

    // norm 5e160: PyTorch's scale max / (norm + 1e-6) makes the gradient (0.6, 0.8)
    assertArrayEquals(new double[] {-0.6, -0.8}, params, 1e-12);
  }

  @Test
  void adam_stepCountAtIntMax_nextStepStillFollowsTheAlgorithm() throws IOException {
    Adam adam = new Adam(0.1);
    double[] params = {0.0};
    adam.step(params, new double[] {1.0});
    byte[] state = stateOf(adam);
    // the state ends with int t, then the arrays m and v of one element: 2 × (int + double)
    ByteBuffer.wrap(state).putInt(state.length - 28, Integer.MAX_VALUE);
    adam.readState(new DataInputStream(new ByteArrayInputStream(state)));
    double before = params[0];

    adam.step(params, new double[] {1.0});

    // Kingma and Ba's Algorithm 1 at t = 2^31, where both bias corrections are 1
    double m = 0.9 * (1 - 0.9) + (1 - 0.9);
    double v = 0.999 * (1 - 0.999) + (1 - 0.999);
    assertEquals(before - 0.1 * m / (Math.sqrt(v) + 1e-8), params[0], 1e-12);
  }

  @Test
  void linearDecay_stepCountAtIntMax_rateStaysAtTheFinalRate() throws IOException {
    Optimizer scheduled = new Sgd(1.0).withLinearDecay(0.1, 100);
    byte[] state = stateOf(scheduled);
    // a schedule's state: UTF "schedule" (2-byte length + 8 bytes), int version, int 0 settings,
    // then int step
    ByteBuffer.wrap(state).putInt(2 + "schedule".length() + 4 + 4, Integer.MAX_VALUE);
    scheduled.readState(new DataInputStream(new ByteArrayInputStream(state)));
    double[] params = {0.0};

    scheduled.step(params, new double[] {1.0});
    scheduled.step(params, new double[] {1.0});

    assertEquals(0.1, scheduled.learningRate(), 0.0);
    assertEquals(-0.2, params[0], 1e-15);
  }

  @Test
  void stepOnValues_nonLeafParameter_throwsAndChangesNothing() {
    Value leaf = Value.of(1.0);
    leaf.setGrad(2.0);
    Value computed = leaf.mul(3.0);
    Sgd sgd = new Sgd(0.5, 0.9);

    IllegalStateException e =
        assertThrowsExactly(IllegalStateException.class, () -> sgd.step(List.of(leaf, computed)));

    assertMessageContains(e, "MUL");
    assertEquals(1.0, leaf.data(), 0.0);
  }

  @Test
  void withSchedule_infiniteRate_throwsNamingItAndTheNextStepProceedsAsIfItNeverHappened() {
    double[] rates = {Double.POSITIVE_INFINITY, 0.5};
    int[] calls = {0};
    Optimizer scheduled = new Sgd(1.0, 0.9).withSchedule(k -> rates[calls[0]++]);
    double[] params = {1.0};

    IllegalArgumentException e =
        assertThrowsExactly(
            IllegalArgumentException.class, () -> scheduled.step(params, new double[] {2.0}));
    scheduled.step(params, new double[] {2.0});

    assertMessageContains(e, "Infinity");
    assertMessageContains(e, "step 0");
    // the failed call changed nothing: one step of rate 0.5 from a zero velocity, v = 2
    assertEquals(1.0 - 0.5 * 2.0, params[0], 0.0);
  }

  @Test
  void step_mismatchedGrads_throwsNamingBothLengthsAndLeavesTheOptimiserAsItWas() {
    for (boolean adam : new boolean[] {false, true}) {
      Optimizer failed = adam ? new Adam(0.1) : new Sgd(0.1, 0.9);
      Optimizer fresh = adam ? new Adam(0.1) : new Sgd(0.1, 0.9);
      double[] params = {1.0, -2.0};
      double[] expected = params.clone();

      IllegalArgumentException e =
          assertThrowsExactly(
              IllegalArgumentException.class, () -> failed.step(params, new double[3]));
      failed.step(params, new double[] {0.5, 0.25});
      fresh.step(expected, new double[] {0.5, 0.25});

      assertMessageContains(e, "3");
      assertMessageContains(e, "2");
      assertArrayEquals(expected, params, 0.0);
    }
  }

  @Test
  void optimisersAndSchedules_infiniteOrNaNHyperparameters_throwNamingThem() {
    assertAll(
        () -> assertIaeNaming("Infinity", () -> new Adam(Double.POSITIVE_INFINITY)),
        () -> assertIaeNaming("NaN", () -> new Adam(0.1, Double.NaN, 0.999, 1e-8)),
        () -> assertIaeNaming("NaN", () -> new Adam(0.1, 0.9, 0.999, Double.NaN)),
        () -> assertIaeNaming("NaN", () -> new Sgd(0.1, Double.NaN)),
        () -> assertIaeNaming("Infinity", () -> new Sgd(0.1).weightDecay(1 / 0.0)),
        () -> assertIaeNaming("-1.0", () -> new Sgd(0.1).clipGradNorm(-1.0)),
        () -> assertIaeNaming("NaN", () -> new Sgd(1.0).withCosineDecay(Double.NaN, 10)),
        () -> assertIaeNaming("Infinity", () -> new Sgd(1.0).withLinearDecay(1 / 0.0, 10)),
        () ->
            assertIaeNaming(
                String.valueOf(Integer.MIN_VALUE),
                () -> new Sgd(1.0).withLinearDecay(0.1, Integer.MIN_VALUE)),
        () -> assertIaeNaming("NaN", () -> Dataset.moons(10, Double.NaN, 1)),
        () ->
            assertIaeNaming("NaN", () -> Losses.binaryCrossEntropyWithLogits(Value.of(0), 0 / 0.0)),
        () -> assertIaeNaming("NaN", () -> Losses.svmMaxMargin(Value.of(0), Double.NaN)));
  }

  @Test
  void softmaxCrossEntropy_labelAtIntExtremes_throwsNamingIt() {
    List<Value> logits = List.of(Value.of(1), Value.of(2));

    for (int label : new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 2, -1}) {
      IllegalArgumentException e =
          assertThrowsExactly(
              IllegalArgumentException.class, () -> Losses.softmaxCrossEntropy(logits, label));

      assertMessageContains(e, "got " + label);
    }
  }

  @Test
  void moons_oneSample_isTheInnerMoonsFirstPointWithoutDividingByZero() {
    Dataset one = Dataset.moons(1, 0.0, 7);

    // n / 2 = 0 outer points; the one inner point is t = 0: (1 - cos 0, 1 - sin 0 - 0.5)
    assertEquals(1, one.size());
    assertArrayEquals(new double[] {0.0, 0.5}, one.features()[0], 0.0);
    assertArrayEquals(new double[] {1.0}, one.labels()[0], 0.0);
  }

  /**
   * Asserts that {@code call} throws an IllegalArgumentException; an OutOfMemoryError fails the
   * test instead of aborting the run, as JUnit's assertions would rethrow it.
   */
  private static IllegalArgumentException assertThrowsBeforeAllocating(Runnable call) {
    try {
      call.run();
    } catch (IllegalArgumentException e) {
      return e;
    } catch (OutOfMemoryError e) {
      throw new AssertionError("allocated before checking: " + e, e);
    }
    throw new AssertionError("expected an IllegalArgumentException, but nothing was thrown");
  }

  private static byte[] stateOf(Optimizer optimizer) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    optimizer.writeState(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }

  private static void assertIaeNaming(String text, Executable call) {
    IllegalArgumentException e = assertThrowsExactly(IllegalArgumentException.class, call);
    assertMessageContains(e, text);
  }
}
