package dev.jitgrad.benchmarks;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
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

/**
 * One sample of a classifier MLP, forward and backward of its softmax cross-entropy: the per-call
 * cost of {@code valueAndGrad} against hand-written loops, at three sizes of the Codegen v2 targets
 * (issue 12): 2-16-10 (small), 64-32-10 (the digits data set) and 784-64-10 (MNIST, about 51,000
 * parameters and a 2.5 MB generated program today).
 *
 * <p>The loss is {@code log Σ_k exp(z_k) − Σ_k y_k·z_k} of the logits {@code z} and a one-hot label
 * {@code y} given as inputs ({@link Workloads#softmaxCrossEntropy}, no max shift). The model is
 * He-initialised and the sample's features are uniform in [-1, 1]. The object graph is the baseline
 * (it builds the sample's graph, at 784-64-10 about 100,000 values, and backpropagates); the IR
 * interpreter and the compiled graph run the compiled per-sample loss; the hand-written loops
 * ({@link HandMlp}, frozen for issue 12) are the contender the targets are ratios to. {@link
 * CrossEntropyBatchBenchmark} runs the same loss over a batch.
 *
 * <p>At 784-64-10 today's generated code needs one to two minutes of warm-up on a 2-core machine
 * before C2 has compiled its chunk methods ({@code -wi 60 -w 2s}); the default 3 s measure the code
 * on its way there.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CrossEntropySampleBenchmark extends MlpContenders {
  /** The MLP's layer widths, inputs first; the last layer's width is the number of classes. */
  @Param({"2-16-10", "64-32-10", "784-64-10"})
  public String shape;

  double[] sample;
  int features;

  /** Builds the model, one sample with its one-hot label, the compiled graphs and gradients. */
  @Setup
  public void setUp() {
    sample = setUpCrossEntropy(shape, 1);
    features = model.inputCount();
  }

  /** Baseline: builds the sample's graph on the persistent parameter leaves and backpropagates. */
  @Benchmark
  public double objectGraph() {
    Values.zeroGrad(params);
    List<Value> logits = model.apply(Workloads.leaves(sample, 0, features));
    Value loss =
        Workloads.softmaxCrossEntropy(
            logits, Workloads.leaves(sample, features, sample.length - features));
    loss.backward();
    Workloads.copyGrads(params, objectGrad);
    return loss.data();
  }

  /** The compiler's gradient program, run by the IR interpreter. */
  @Benchmark
  public double irInterpreter() {
    Arrays.fill(interpretedGrad, 0.0);
    return interpreted.valueAndGrad(sample, weights, interpretedGrad);
  }

  /** The compiled bytecode, one {@code valueAndGrad} call. */
  @Benchmark
  public double compiled() {
    Arrays.fill(compiledGrad, 0.0);
    return compiled.valueAndGrad(sample, weights, compiledGrad);
  }

  /** Plain loops over flat arrays with preallocated buffers. */
  @Benchmark
  public double handWritten() {
    Arrays.fill(handGrad, 0.0);
    return hand.crossEntropyLossAndGrad(weights, sample, 0, handGrad);
  }
}
