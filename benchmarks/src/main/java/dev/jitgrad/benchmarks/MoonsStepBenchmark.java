package dev.jitgrad.benchmarks;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Jit;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Losses;
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
 * One full-batch step of micrograd's moons demo: loss and gradient of an MLP 2-16-16-1 over 100
 * samples, mean max-margin loss plus {@code 1e-4·Σp²}. This is the workload micrograd's README
 * trains, so its ratio to the object graph is the headline number.
 *
 * <p>The object graph (baseline) builds the whole batch loss as micrograd does and calls {@code
 * backward()}. The IR interpreter and the compiled graph take the per-sample loss (already scaled
 * by 1/n) through {@code valueAndGradBatch} and add the L2 term on the array side; {@code
 * compiledWholeGraph} instead compiles micrograd's whole batch loss with the data baked in as
 * constants. The hand-written loops go over the 100 samples with preallocated buffers. Note that
 * {@code valueAndGradBatch} may split the batch over the common fork-join pool; the others use one
 * thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MoonsStepBenchmark extends MlpContenders {
  /** Samples in the batch; micrograd's demo uses 100. */
  @Param({"100"})
  public int samples;

  double[] rows;
  CompiledGraph wholeGraph;
  double[] noInputs;
  double[] wholeGraphGrad;

  /** Builds the model, the data set, the compiled graphs and the gradient arrays. */
  @Setup
  public void setUp() {
    double scale = 1.0 / samples;
    setUpContenders(
        new int[] {2, 16, 16, 1},
        1,
        (out, y) -> Losses.svmMaxMargin(out.get(0), y.get(0)).mul(scale));
    rows = Workloads.moons(samples);
    wholeGraph = Jit.compile(Workloads.moonsLoss(model, rows, samples), List.of(), params);
    noInputs = new double[0];
    wholeGraphGrad = new double[params.size()];
  }

  /** Baseline: micrograd's step, the whole batch as one object graph, then {@code backward()}. */
  @Benchmark
  public double objectGraph() {
    Values.zeroGrad(params);
    Value loss = Workloads.moonsLoss(model, rows, samples);
    loss.backward();
    Workloads.copyGrads(params, objectGrad);
    return loss.data();
  }

  /** The per-sample gradient program over the batch, run by the IR interpreter. */
  @Benchmark
  public double irInterpreterBatch() {
    Arrays.fill(interpretedGrad, 0.0);
    double loss = interpreted.valueAndGradBatch(rows, samples, weights, interpretedGrad);
    return Workloads.addL2(loss, weights, interpretedGrad, Workloads.L2_ALPHA);
  }

  /** The per-sample compiled code over the batch with {@code valueAndGradBatch}. */
  @Benchmark
  public double compiledBatch() {
    Arrays.fill(compiledGrad, 0.0);
    double loss = compiled.valueAndGradBatch(rows, samples, weights, compiledGrad);
    return Workloads.addL2(loss, weights, compiledGrad, Workloads.L2_ALPHA);
  }

  /** micrograd's whole batch loss compiled as one graph, the data baked in as constants. */
  @Benchmark
  public double compiledWholeGraph() {
    Arrays.fill(wholeGraphGrad, 0.0);
    return wholeGraph.valueAndGrad(noInputs, weights, wholeGraphGrad);
  }

  /** Plain loops over the samples with preallocated buffers, L2 on the array side. */
  @Benchmark
  public double handWritten() {
    Arrays.fill(handGrad, 0.0);
    double loss = hand.svmBatchLossAndGrad(weights, rows, samples, handGrad);
    return Workloads.addL2(loss, weights, handGrad, Workloads.L2_ALPHA);
  }
}
