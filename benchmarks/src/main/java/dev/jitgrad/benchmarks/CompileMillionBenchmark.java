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
 * {@code Jit.compile} on a random graph of a million nodes, the size the compiler promises to
 * handle, with a cold compile per measurement. Kept apart from {@link CompileCostBenchmark} because
 * one shot takes seconds and the graph needs a large heap; run it alone, e.g. {@code
 * CompileMillionBenchmark -i 3}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = "-Xmx8g")
public class CompileMillionBenchmark {
  /** Nodes in the graph, leaves included. */
  @Param({"1000000"})
  public int nodes;

  Workloads.Graph graph;

  /** Builds the random graph once. */
  @Setup
  public void setUp() {
    graph = Workloads.randomGraph(nodes);
  }

  /** The whole pipeline down to loaded bytecode. */
  @Benchmark
  public CompiledGraph compileBytecode() {
    return Workloads.compile(graph.loss, graph.inputs, graph.params, Backend.BYTECODE);
  }
}
