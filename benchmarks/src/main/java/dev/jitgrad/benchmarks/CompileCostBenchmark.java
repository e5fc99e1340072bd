package dev.jitgrad.benchmarks;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.JitOptions.Backend;
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
 * What compiling costs: {@code Jit.compile} on random graphs of 1k, 10k and 100k nodes, one cold
 * compile per measurement ({@link Mode#SingleShotTime}). Divide the score by {@code nodes} for the
 * time per node; the target is under 5 µs per node at 100k.
 *
 * <p>The graph is built once per trial, so only compiling is timed ({@code Jit.compile} does not
 * change the graph). {@code compileBytecode} runs the whole pipeline (trace, passes, reverse mode,
 * passes, ASM emit, hidden-class load); {@code compileIrOnly} stops before emitting, so the
 * difference is the bytecode back end; {@code buildGraph} is the baseline a user pays anyway,
 * building the same graph of {@code Value} objects. A 1M-node graph is in {@link
 * CompileMillionBenchmark}, so quick runs can leave it out. Single shots are noisy: run many
 * iterations ({@code -i 10} or more).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(1)
public class CompileCostBenchmark {
  /** Nodes in the graph, leaves included. */
  @Param({"1000", "10000", "100000"})
  public int nodes;

  Workloads.Graph graph;

  /** Builds the random graph once. */
  @Setup
  public void setUp() {
    graph = Workloads.randomGraph(nodes);
  }

  /** Baseline: building the graph of {@code Value} objects. */
  @Benchmark
  public Workloads.Graph buildGraph() {
    return Workloads.randomGraph(nodes);
  }

  /** The pipeline up to the IR interpreter, no bytecode. */
  @Benchmark
  public CompiledGraph compileIrOnly() {
    return Workloads.compile(graph.loss, graph.inputs, graph.params, Backend.IR_INTERPRETER);
  }

  /** The whole pipeline down to loaded bytecode. */
  @Benchmark
  public CompiledGraph compileBytecode() {
    return Workloads.compile(graph.loss, graph.inputs, graph.params, Backend.BYTECODE);
  }
}
