package dev.jitgrad.benchmarks;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.JitOptions.Backend;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.MLP;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to first results: compile micrograd's per-sample moons loss (MLP 2-16-16-1) and make the
 * first {@code calls} {@code valueAndGrad} calls, one cold shot per measurement. Fresh generated
 * classes start in HotSpot's interpreter, so the first calls run far slower than the steady state
 * of {@link MlpSampleBenchmark}; this shows how many calls it takes for compiling to pay off.
 *
 * <p>The IR-interpreter backend is the baseline: it skips emitting bytecode, so its first calls run
 * code HotSpot has already compiled in earlier shots.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(1)
public class FirstCallsBenchmark {
  /** valueAndGrad calls after compiling. */
  @Param({"1", "100", "10000"})
  public int calls;

  /** The back end to compile with. */
  @Param({"BYTECODE", "IR_INTERPRETER"})
  public String backend;

  Workloads.Graph graph;
  Backend chosen;
  double[] sample;
  double[] weights;
  double[] grad;

  /** Builds the per-sample loss graph once. */
  @Setup
  public void setUp() {
    MLP model = Workloads.mlp(new int[] {2, 16, 16, 1});
    graph = Workloads.sampleGraph(model, 1, (out, y) -> Losses.svmMaxMargin(out.get(0), y.get(0)));
    chosen = Backend.valueOf(backend);
    sample = Workloads.activeSample(model, Workloads.moons(100));
    weights = Values.data(graph.params);
    grad = new double[weights.length];
  }

  /** Compiles, then calls {@code valueAndGrad} {@code calls} times. */
  @Benchmark
  public double compileAndCall() {
    CompiledGraph compiled = Workloads.compile(graph.loss, graph.inputs, graph.params, chosen);
    return Workloads.callRepeatedly(compiled, sample, weights, grad, calls);
  }
}
