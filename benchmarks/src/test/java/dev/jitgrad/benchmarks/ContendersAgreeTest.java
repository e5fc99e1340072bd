package dev.jitgrad.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every contender of a workload computes the same loss and gradient as the object graph. */
class ContendersAgreeTest {
  private static final double TOLERANCE = 1e-9;

  @Test
  void mlpSample_allContenders_agreeWithObjectGraph() {
    MlpSampleBenchmark state = new MlpSampleBenchmark();
    state.shape = "2-16-16-1";
    state.setUp();

    double object = state.objectGraph();
    double interpreted = state.irInterpreter();
    double compiled = state.compiled();
    double hand = state.handWritten();

    assertTrue(object > 0, "the sample should have a positive loss, got " + object);
    assertAgree(state, object, interpreted, compiled, hand, "2-16-16-1");
  }

  @Test
  void moonsStep_allContenders_agreeWithObjectGraph() {
    MoonsStepBenchmark state = new MoonsStepBenchmark();
    state.samples = 100;
    state.setUp();

    double object = state.objectGraph();
    double interpreted = state.irInterpreterBatch();
    double compiled = state.compiledBatch();
    double whole = state.compiledWholeGraph();
    double hand = state.handWritten();

    assertAgree(state, object, interpreted, compiled, hand, "moons");
    assertClose(object, whole, "compiledWholeGraph loss");
    assertAllClose(state.objectGrad, state.wholeGraphGrad, "compiledWholeGraph");
  }

  @Test
  void largeMlp_allContenders_agreeWithObjectGraph() {
    for (String shape : List.of("2-64-64-1", "64-64-10")) {
      LargeMlpBenchmark state = new LargeMlpBenchmark();
      state.shape = shape;
      state.samples = 32;
      state.setUp();

      double object = state.objectGraph();
      double interpreted = state.irInterpreterBatch();
      double compiled = state.compiledBatch();
      double hand = state.handWritten();

      assertAgree(state, object, interpreted, compiled, hand, shape);
    }
  }

  @Test
  void crossEntropySample_allContenders_agreeWithObjectGraph() {
    for (String shape : List.of("2-16-10", "64-32-10", "784-64-10")) {
      CrossEntropySampleBenchmark state = new CrossEntropySampleBenchmark();
      state.shape = shape;
      state.setUp();

      double object = state.objectGraph();
      double interpreted = state.irInterpreter();
      double compiled = state.compiled();
      double hand = state.handWritten();

      assertTrue(object > 0, shape + " cross-entropy should be positive, got " + object);
      assertAgree(state, object, interpreted, compiled, hand, shape);
    }
  }

  @Test
  void crossEntropyBatch_allContenders_agreeWithObjectGraph() {
    // 784-64-10 on 17 rows (two blocks) keeps the object-graph oracle and the first, interpreted
    // run of its 2.5 MB of generated code short; the smaller shapes run the anchor's 512 rows.
    for (String shape : List.of("2-16-10", "64-32-10", "784-64-10")) {
      CrossEntropyBatchBenchmark state = new CrossEntropyBatchBenchmark();
      state.shape = shape;
      state.samples = shape.startsWith("784") ? 17 : 0;
      state.setUp();

      double object = objectGraphBatch(state);
      double interpreted = state.irInterpreterBatch();
      double compiled = state.compiledBatch();
      double hand = state.handWritten();
      double forwardSum = Arrays.stream(state.compiledForwardBatch()).sum();

      assertAgree(state, object, interpreted, compiled, hand, shape);
      assertClose(object, forwardSum, shape + " compiledForwardBatch, summed");
    }
  }

  @Test
  void microgradExpression_compiledContenders_matchReadme() {
    MicrogradExpressionBenchmark state = new MicrogradExpressionBenchmark();
    state.a = -4;
    state.b = 2;
    state.setUp();
    Value a = Value.of(-4);
    Value b = Value.of(2);

    Value g = Workloads.microgradExpression(a, b);
    g.backward();
    double interpreted = state.irInterpreter();
    double compiled = state.compiled();

    // micrograd's README prints g = 24.7041, a.grad = 138.8338, b.grad = 645.5773.
    assertEquals(24.7041, g.data(), 1e-4);
    assertEquals(138.8338, a.grad(), 1e-4);
    assertEquals(645.5773, b.grad(), 1e-4);
    assertClose(g.data(), interpreted, "irInterpreter value");
    assertClose(g.data(), compiled, "compiled value");
    double[] expected = {a.grad(), b.grad()};
    assertAllClose(expected, state.interpretedGrad, "irInterpreter");
    assertAllClose(expected, state.compiledGrad, "compiled");
  }

  /**
   * Returns the batch loss as one object graph, the sum of each row's cross-entropy, after
   * backpropagating it into the state's {@code objectGrad}.
   */
  private static double objectGraphBatch(CrossEntropyBatchBenchmark state) {
    int features = state.model.inputCount();
    int classes = state.model.outputCount();
    List<Value> losses = new ArrayList<>(state.rowCount);
    for (int r = 0; r < state.rowCount; r++) {
      int row = r * (features + classes);
      List<Value> logits = state.model.apply(Workloads.leaves(state.rows, row, features));
      List<Value> labels = Workloads.leaves(state.rows, row + features, classes);
      losses.add(Workloads.softmaxCrossEntropy(logits, labels));
    }
    Value loss = Value.sum(losses);
    Values.zeroGrad(state.params);
    loss.backward();
    Workloads.copyGrads(state.params, state.objectGrad);
    return loss.data();
  }

  /**
   * Asserts that the IR interpreter's, the compiled code's and the hand-written loops' losses and
   * gradients equal the object graph's, which must not be all zeros.
   */
  private static void assertAgree(
      MlpContenders state,
      double object,
      double interpreted,
      double compiled,
      double hand,
      String workload) {
    assertClose(object, interpreted, workload + " irInterpreter loss");
    assertClose(object, compiled, workload + " compiled loss");
    assertClose(object, hand, workload + " handWritten loss");
    assertNonZero(state.objectGrad);
    assertAllClose(state.objectGrad, state.interpretedGrad, workload + " irInterpreter");
    assertAllClose(state.objectGrad, state.compiledGrad, workload + " compiled");
    assertAllClose(state.objectGrad, state.handGrad, workload + " handWritten");
  }

  private static void assertNonZero(double[] grad) {
    double norm = 0;
    for (double g : grad) {
      norm += Math.abs(g);
    }
    assertTrue(norm > 0, "the reference gradient is all zeros, so the comparison proves nothing");
  }

  private static void assertAllClose(double[] expected, double[] actual, String who) {
    assertEquals(expected.length, actual.length, who + " gradient length");
    for (int i = 0; i < expected.length; i++) {
      assertClose(expected[i], actual[i], who + " gradient[" + i + "]");
    }
  }

  private static void assertClose(double expected, double actual, String what) {
    double scale = Math.max(1.0, Math.abs(expected));
    assertTrue(
        Math.abs(expected - actual) <= TOLERANCE * scale,
        what + ": expected " + expected + ", got " + actual);
  }
}
