package dev.jitgrad.benchmarks;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Losses;
import java.util.Arrays;
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
 * Larger models on a batch: MLP 2-64-64-1 (deep and narrow at the input) and 64-64-10 (a wide input
 * layer and several outputs), loss and gradient of the summed per-sample MSE to a target.
 *
 * <p>These graphs are 10 to 30 times the size of micrograd's, so they show how the compiled code
 * scales once its straight-line bytecode no longer fits in one method and HotSpot's inlining and
 * code-cache limits come into play. Rows hold the inputs then the targets; the object graph builds
 * the whole batch loss and backpropagates, the IR interpreter and the compiled graph run the
 * per-sample loss through {@code valueAndGradBatch}, and the hand-written loops go sample by
 * sample.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LargeMlpBenchmark extends MlpContenders {
  /** The MLP's layer widths, inputs first. */
  @Param({"2-64-64-1", "64-64-10"})
  public String shape;

  /** Samples in the batch. */
  @Param({"32"})
  public int samples;

  double[] rows;
  int outputs;

  /** Builds the model, random rows of inputs and targets, the compiled graphs and gradients. */
  @Setup
  public void setUp() {
    int[] sizes = Workloads.shape(shape);
    outputs = sizes[sizes.length - 1];
    setUpContenders(sizes, outputs, Losses::meanSquaredError);
    rows = Workloads.uniform(samples * (sizes[0] + outputs), Workloads.SEED);
  }

  /** Baseline: the whole batch loss as one object graph, then {@code backward()}. */
  @Benchmark
  public double objectGraph() {
    Values.zeroGrad(params);
    Value loss = Workloads.mseLoss(model, outputs, rows, samples);
    loss.backward();
    Workloads.copyGrads(params, objectGrad);
    return loss.data();
  }

  /** The per-sample gradient program over the batch, run by the IR interpreter. */
  @Benchmark
  public double irInterpreterBatch() {
    Arrays.fill(interpretedGrad, 0.0);
    return interpreted.valueAndGradBatch(rows, samples, weights, interpretedGrad);
  }

  /** The per-sample compiled code over the batch with {@code valueAndGradBatch}. */
  @Benchmark
  public double compiledBatch() {
    Arrays.fill(compiledGrad, 0.0);
    return compiled.valueAndGradBatch(rows, samples, weights, compiledGrad);
  }

  /** Plain loops over the samples with preallocated buffers. */
  @Benchmark
  public double handWritten() {
    Arrays.fill(handGrad, 0.0);
    return hand.mseBatchLossAndGrad(weights, rows, samples, handGrad);
  }
}
