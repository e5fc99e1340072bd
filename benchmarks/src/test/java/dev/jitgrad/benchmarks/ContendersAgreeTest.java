package dev.jitgrad.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
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
    assertClose(object, interpreted, "irInterpreter loss");
    assertClose(object, compiled, "compiled loss");
    assertClose(object, hand, "handWritten loss");
    assertNonZero(state.objectGrad);
    assertAllClose(state.objectGrad, state.interpretedGrad, "irInterpreter");
    assertAllClose(state.objectGrad, state.compiledGrad, "compiled");
    assertAllClose(state.objectGrad, state.handGrad, "handWritten");
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

    assertClose(object, interpreted, "irInterpreterBatch loss");
    assertClose(object, compiled, "compiledBatch loss");
    assertClose(object, whole, "compiledWholeGraph loss");
    assertClose(object, hand, "handWritten loss");
    assertNonZero(state.objectGrad);
    assertAllClose(state.objectGrad, state.interpretedGrad, "irInterpreterBatch");
    assertAllClose(state.objectGrad, state.compiledGrad, "compiledBatch");
    assertAllClose(state.objectGrad, state.wholeGraphGrad, "compiledWholeGraph");
    assertAllClose(state.objectGrad, state.handGrad, "handWritten");
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

      assertClose(object, interpreted, shape + " irInterpreterBatch loss");
      assertClose(object, compiled, shape + " compiledBatch loss");
      assertClose(object, hand, shape + " handWritten loss");
      assertNonZero(state.objectGrad);
      assertAllClose(state.objectGrad, state.interpretedGrad, shape + " irInterpreterBatch");
      assertAllClose(state.objectGrad, state.compiledGrad, shape + " compiledBatch");
      assertAllClose(state.objectGrad, state.handGrad, shape + " handWritten");
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
