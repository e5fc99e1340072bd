package dev.jitgrad.benchmarks;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.JitOptions.Backend;
import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.List;
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
 * {@code Jit.compile} of issue 12's irregular graphs in a fresh JVM with a 1 GB heap, one shot per
 * fork: {@code chain}, a chain of {@code nodes} values ({@code v = tanh(v·w + c)} with a fresh
 * constant per step, four values per step), and {@code sum}, one {@code Value.sum} of {@code nodes}
 * param leaves. The target is under 5 s each at a million nodes; the random DAG of {@link
 * CompileCostBenchmark} covers the 100k-node target. The graph is built in the trial's setup, so
 * only compiling is timed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 10, jvmArgsAppend = "-Xmx1g")
public class IrregularCompileBenchmark {
  /** Which graph: {@code chain} or {@code sum}. */
  @Param({"chain", "sum"})
  public String graph;

  /** Values in the graph, leaves included (the chain's rounded down to whole steps). */
  @Param({"1000000"})
  public int nodes;

  Value loss;
  List<Value> params;

  /** Builds the graph once per fork. */
  @Setup
  public void setUp() {
    params = new ArrayList<>();
    if (graph.equals("chain")) {
      Value x = Value.of(0.5);
      Value w = Value.of(0.9);
      params.add(x);
      params.add(w);
      Value v = x;
      for (int i = 0; i < nodes / 4; i++) {
        v = v.mul(w).add(1e-6 * i).tanh();
      }
      loss = v;
    } else if (graph.equals("sum")) {
      for (int i = 0; i < nodes; i++) {
        params.add(Value.of(Math.sin(i)));
      }
      loss = Value.sum(params);
    } else {
      throw new IllegalArgumentException("graph must be chain or sum, got " + graph);
    }
  }

  /** The whole pipeline down to loaded bytecode. */
  @Benchmark
  public CompiledGraph compile() {
    return Workloads.compile(loss, List.of(), params, Backend.BYTECODE);
  }
}
