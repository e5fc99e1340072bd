package dev.jitgrad.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.engine.Values;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Calls every benchmark method once on a hand-made state, untimed, so the suite cannot rot; the
 * agreement of the numbers is {@link ContendersAgreeTest}'s job.
 */
class BenchmarkMethodsTest {
  private static final String BLACKHOLE_PASSWORD =
      "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.";

  @Test
  void microgradExpression_everyMethod_runs() {
    MicrogradExpressionBenchmark state = new MicrogradExpressionBenchmark();
    state.a = -4;
    state.b = 2;
    state.setUp();
    Blackhole bh = new Blackhole(BLACKHOLE_PASSWORD);

    state.objectGraph(bh);
    double interpreted = state.irInterpreter();
    double compiled = state.compiled();

    assertTrue(Double.isFinite(interpreted));
    assertTrue(Double.isFinite(compiled));
  }

  @Test
  void compileCost_everyMethod_compilesTheGraph() {
    CompileCostBenchmark state = new CompileCostBenchmark();
    state.nodes = 1000;
    state.setUp();

    Workloads.Graph built = state.buildGraph();
    CompiledGraph interpreted = state.compileIrOnly();
    CompiledGraph compiled = state.compileBytecode();

    assertNotNull(built.loss);
    assertEquals(state.graph.loss.data(), interpreted.forward(inputs(state), params(state)), 1e-12);
    assertEquals(state.graph.loss.data(), compiled.forward(inputs(state), params(state)), 1e-12);
  }

  @Test
  void compileMillion_compileBytecode_runsOnASmallGraph() {
    CompileMillionBenchmark state = new CompileMillionBenchmark();
    state.nodes = 1000;
    state.setUp();

    CompiledGraph compiled = state.compileBytecode();

    assertEquals(
        state.graph.loss.data(),
        compiled.forward(state.graph.inputData(), state.graph.paramData()),
        1e-12);
  }

  @Test
  void irregularCompile_eachGraph_compilesToItsValue() {
    for (String graph : new String[] {"chain", "sum"}) {
      IrregularCompileBenchmark state = new IrregularCompileBenchmark();
      state.graph = graph;
      state.nodes = 1000;
      state.setUp();
      double[] p = Values.data(state.params);

      CompiledGraph compiled = state.compile();

      assertEquals(state.loss.data(), compiled.forward(new double[0], p), 0.0, graph);
    }
  }

  @Test
  void firstCalls_everyBackend_returnsTheLoss() {
    for (String backend : new String[] {"BYTECODE", "IR_INTERPRETER"}) {
      FirstCallsBenchmark state = new FirstCallsBenchmark();
      state.calls = 2;
      state.backend = backend;
      state.setUp();

      double loss = state.compileAndCall();

      assertTrue(loss > 0, backend + " loss " + loss);
    }
  }

  @Test
  void crossEntropyCompile_everyMethod_compilesAndReturnsTheLoss() {
    CrossEntropyCompileBenchmark state = new CrossEntropyCompileBenchmark();
    state.shape = "2-16-10";
    state.setUp();
    CrossEntropyCompileBenchmark.Calls calls = new CrossEntropyCompileBenchmark.Calls();
    calls.calls = 2;
    HandMlp hand = new HandMlp(Workloads.shape(state.shape));

    CompiledGraph compiled = state.compile();
    double loss = state.compileAndCall(calls);
    double batchLoss = state.compileAndBatch();

    double expected =
        hand.crossEntropyLossAndGrad(state.weights, state.sample, 0, new double[state.grad.length]);
    double expectedBatch = 0;
    for (int r = 0; r < CrossEntropyCompileBenchmark.BATCH_ROWS; r++) {
      expectedBatch +=
          hand.crossEntropyLossAndGrad(
              state.weights, state.batch, r * state.sample.length, new double[state.grad.length]);
    }
    assertEquals(state.sample.length, compiled.inputCount());
    assertEquals(expected, loss, 1e-12);
    assertEquals(expectedBatch, batchLoss, 1e-9 * Math.abs(expectedBatch));
  }

  @Test
  void generatedCodeSize_report_namesTheShapeAndItsBytes() {
    String report = GeneratedCodeSize.report("2-16-10");

    assertTrue(
        report.matches("2-16-10: 2 generated classes, [1-9][0-9]* bytes of class files; .*"),
        report);
  }

  @Test
  void randomGraph_nodes_hasExactlyThatManyNodes() {
    Workloads.Graph graph = Workloads.randomGraph(1000);

    int counted = dev.jitgrad.engine.Graph.topologicalOrder(graph.loss).size();

    assertEquals(1000, counted);
  }

  private static double[] inputs(CompileCostBenchmark state) {
    return state.graph.inputData();
  }

  private static double[] params(CompileCostBenchmark state) {
    return state.graph.paramData();
  }
}
