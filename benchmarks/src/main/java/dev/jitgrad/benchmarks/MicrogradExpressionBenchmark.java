package dev.jitgrad.benchmarks;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.JitOptions.Backend;
import dev.jitgrad.engine.Value;
import java.util.Arrays;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The expression of micrograd's README (about 30 nodes, inputs a = -4 and b = 2): value and both
 * gradients. The graph is tiny, so this measures per-call overhead (argument checks, workspace
 * lookup) rather than arithmetic.
 *
 * <p>The object graph (baseline) builds the expression on fresh leaves and backpropagates, as the
 * README does. The IR interpreter and the compiled graph take {@code a, b} as params. There is no
 * hand-written contender: by hand this would be the formula and its derivative, which only shows
 * the cost of about 60 flops.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MicrogradExpressionBenchmark {
  /** The leaf {@code a}; micrograd's README uses -4. */
  @Param({"-4"})
  public double a;

  /** The leaf {@code b}; micrograd's README uses 2. */
  @Param({"2"})
  public double b;

  double[] ab;
  double[] noInputs;
  CompiledGraph interpreted;
  CompiledGraph compiled;
  double[] interpretedGrad;
  double[] compiledGrad;

  /** Compiles the expression with {@code a, b} as params. */
  @Setup
  public void setUp() {
    ab = new double[] {a, b};
    noInputs = new double[0];
    List<Value> leaves = Workloads.leaves(ab, 0, 2);
    Value g = Workloads.microgradExpression(leaves.get(0), leaves.get(1));
    interpreted = Workloads.compile(g, List.of(), leaves, Backend.IR_INTERPRETER);
    compiled = Workloads.compile(g, List.of(), leaves, Backend.BYTECODE);
    interpretedGrad = new double[2];
    compiledGrad = new double[2];
  }

  /** Baseline: builds the expression on fresh leaves, backpropagates and reads both gradients. */
  @Benchmark
  public void objectGraph(Blackhole bh) {
    Value va = Value.of(a);
    Value vb = Value.of(b);
    Value g = Workloads.microgradExpression(va, vb);
    g.backward();
    bh.consume(g.data());
    bh.consume(va.grad());
    bh.consume(vb.grad());
  }

  /** The gradient program, run by the IR interpreter. */
  @Benchmark
  public double irInterpreter() {
    Arrays.fill(interpretedGrad, 0.0);
    return interpreted.valueAndGrad(noInputs, ab, interpretedGrad);
  }

  /** The compiled bytecode. */
  @Benchmark
  public double compiled() {
    Arrays.fill(compiledGrad, 0.0);
    return compiled.valueAndGrad(noInputs, ab, compiledGrad);
  }
}
