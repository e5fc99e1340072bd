package dev.jitgrad.benchmarks;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.JitOptions.Backend;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Init;
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
 * Time to steady state for the classifier MLPs of {@link CrossEntropySampleBenchmark}: {@code
 * compile} is {@code Jit.compile} of the per-sample softmax cross-entropy to bytecode, {@code
 * compileAndCall} adds the first {@code calls} {@code valueAndGrad} calls on one sample, one cold
 * shot per measurement; {@code compileAndBatch} compiles and runs one batch instead. Fresh
 * generated classes start in HotSpot's interpreter and C2 compiles their chunk methods one by one,
 * so the first calls of a large program cost far more than the steady state; Codegen v2 (issue 12)
 * must lower the total, not move it into C2.
 *
 * <p>The graph is built once per trial. With the default warm-up the compiler's own code is hot;
 * for the cost in a fresh JVM (the "compile, fresh JVM") run one shot per fork: {@code -f
 * 10 -wi 0 -i 1}. The size of the generated classes is printed by {@link GeneratedCodeSize}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(1)
public class CrossEntropyCompileBenchmark {
  /** The MLP's layer widths, inputs first; the last layer's width is the number of classes. */
  @Param({"2-16-10", "64-32-10", "784-64-10"})
  public String shape;

  /** Rows of the batch in {@link #compileAndBatch}, as in {@link CrossEntropyBatchBenchmark}. */
  static final int BATCH_ROWS = 256;

  Workloads.Graph graph;
  double[] sample;
  double[] batch;
  double[] weights;
  double[] grad;

  /** Builds the per-sample loss graph and one sample once. */
  @Setup
  public void setUp() {
    int[] sizes = Workloads.shape(shape);
    int classes = sizes[sizes.length - 1];
    MLP model = Workloads.mlp(sizes, Init.HE);
    graph = Workloads.sampleGraph(model, classes, Workloads::softmaxCrossEntropy);
    sample = Workloads.oneHotRows(sizes[0], classes, 1);
    batch = Workloads.oneHotRows(sizes[0], classes, BATCH_ROWS);
    weights = Values.data(graph.params);
    grad = new double[weights.length];
  }

  /** The whole pipeline down to loaded bytecode. */
  @Benchmark
  public CompiledGraph compile() {
    return Workloads.compile(graph.loss, graph.inputs, graph.params, Backend.BYTECODE);
  }

  /** Compiles, then calls {@code valueAndGrad} {@code calls} times. */
  @Benchmark
  public double compileAndCall(Calls calls) {
    return Workloads.callRepeatedly(compile(), sample, weights, grad, calls.calls);
  }

  /**
   * Compiles, then runs one {@code valueAndGradBatch} of {@link #BATCH_ROWS} rows: time to the
   * first batch, which includes making the batch's lane code where the program gets one.
   */
  @Benchmark
  public double compileAndBatch() {
    return compile().valueAndGradBatch(batch, BATCH_ROWS, weights, grad);
  }

  /** How many calls follow the compile in {@link #compileAndCall}. */
  @State(Scope.Benchmark)
  public static class Calls {
    /** valueAndGrad calls after compiling. */
    @Param({"1", "100", "10000"})
    public int calls;
  }
}
