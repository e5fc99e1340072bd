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
 * One sample through micrograd's MLP 2-16-16-1, forward and backward: the per-call cost that
 * decides whether compiling pays off for online learning or per-sample evaluation.
 *
 * <p>The loss is micrograd's max-margin {@code relu(1 - y·score)} of one sample {@code x0, x1, y};
 * each contender returns it and leaves the parameter gradient (337 numbers) in its own array, so
 * the unit test can check all four agree. The object graph is the baseline: it builds the graph for
 * the sample, runs {@code backward()} and reads the gradients, as micrograd does. The IR
 * interpreter runs the compiler's optimised gradient program without bytecode; the compiled graph
 * runs it as straight-line bytecode; the hand-written loops are what an engineer would write for
 * this one model. Gradients are zeroed on every call, since all four accumulate.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MlpSampleBenchmark extends MlpContenders {
  /** The MLP's layer widths, inputs first; the last layer has one neuron (the score). */
  @Param({"2-16-16-1"})
  public String shape;

  double[] sample;

  /** Builds the model, one moons sample, the compiled graphs and the gradient arrays. */
  @Setup
  public void setUp() {
    setUpContenders(
        Workloads.shape(shape), 1, (out, y) -> Losses.svmMaxMargin(out.get(0), y.get(0)));
    sample = Workloads.activeSample(model, Workloads.moons(100));
  }

  /** Baseline: builds the sample's graph on the persistent parameter leaves and backpropagates. */
  @Benchmark
  public double objectGraph() {
    Values.zeroGrad(params);
    Value score = model.apply(Workloads.leaves(sample, 0, 2)).get(0);
    Value loss = Losses.svmMaxMargin(score, sample[2]);
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
    return hand.svmLossAndGrad(weights, sample, 0, 1.0, handGrad);
  }
}
