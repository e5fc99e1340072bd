package dev.jitgrad.benchmarks;

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
 * A training step's loss and gradient over a batch for the classifier MLPs of {@link
 * CrossEntropySampleBenchmark}: the summed per-sample softmax cross-entropy with one-hot labels,
 * through {@code valueAndGradBatch}, against hand-written per-sample loops. Divide a score by
 * {@code samples} for the time per sample that the Codegen v2 targets (issue 12) and the PyTorch
 * anchor ({@code benchmarks/pytorch_mlp.py}, forward + backward of the summed cross-entropy) are
 * stated in.
 *
 * <p>By default the batch is the PyTorch anchor's: 512 rows, or 256 for a 784-input model. Rows
 * hold the features then the one-hot label. The IR interpreter and the compiled graph run the
 * per-sample loss over the rows with {@code valueAndGradBatch}, which splits a batch over the
 * common fork-join pool only above {@code jitgrad.parallelWork} instruction evaluations (at
 * 64-32-10 and 784-64-10 it does by default; set the property above the work for one thread). The
 * hand-written loops ({@link HandMlp}, frozen for issue 12) go sample by sample on one thread. The
 * object graph is left out: at 784-64-10 a batch would build some 25 million values, seconds per
 * call; it is the baseline of the per-sample benchmark instead.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CrossEntropyBatchBenchmark extends MlpContenders {
  /** The MLP's layer widths, inputs first; the last layer's width is the number of classes. */
  @Param({"2-16-10", "64-32-10", "784-64-10"})
  public String shape;

  /** Rows in the batch; 0 takes the PyTorch anchor's batch, 512 or 256 for 784 inputs. */
  @Param({"0"})
  public int samples;

  double[] rows;
  int rowCount;
  double[] losses;

  /** Builds the model, the rows, the compiled graphs and the gradient arrays. */
  @Setup
  public void setUp() {
    int inputs = Workloads.shape(shape)[0];
    rowCount = samples > 0 ? samples : inputs >= 784 ? 256 : 512;
    rows = setUpCrossEntropy(shape, rowCount);
    losses = new double[rowCount];
  }

  /** The per-sample gradient program over the batch, run by the IR interpreter. */
  @Benchmark
  public double irInterpreterBatch() {
    Arrays.fill(interpretedGrad, 0.0);
    return interpreted.valueAndGradBatch(rows, rowCount, weights, interpretedGrad);
  }

  /** The per-sample compiled code over the batch with {@code valueAndGradBatch}. */
  @Benchmark
  public double compiledBatch() {
    Arrays.fill(compiledGrad, 0.0);
    return compiled.valueAndGradBatch(rows, rowCount, weights, compiledGrad);
  }

  /**
   * Every sample's loss alone, no gradient, with {@code forwardBatch} (inference and evaluation):
   * the forward share of {@link #compiledBatch}.
   */
  @Benchmark
  public double[] compiledForwardBatch() {
    compiled.forwardBatch(rows, rowCount, weights, losses);
    return losses;
  }

  /** Plain loops over the samples with preallocated buffers. */
  @Benchmark
  public double handWritten() {
    Arrays.fill(handGrad, 0.0);
    return hand.crossEntropyBatchLossAndGrad(weights, rows, rowCount, handGrad);
  }
}
