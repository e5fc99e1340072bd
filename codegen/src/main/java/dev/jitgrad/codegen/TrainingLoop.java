package dev.jitgrad.codegen;

import dev.jitgrad.codegen.Training.GradientSource;
import dev.jitgrad.codegen.Training.History;
import dev.jitgrad.codegen.Training.Listener;
import dev.jitgrad.codegen.Training.Metric;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Optimizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** One run of {@link Training}: the minibatch loop and the evaluation over packed rows. */
final class TrainingLoop {
  private final CompiledGraph graph;
  private final List<Value> modelParams;
  private final double[] train;
  private final double[] heldOut;
  private final Metric metric;
  private final Optimizer optimizer;
  private final GradientSource gradients;
  private final int width;
  private final int labelStart;
  private final double[] params;
  private final double[] grad;
  private final double[] out;
  private final double[] outputs;
  private final double[] labels;

  /** Every row's outputs, for the evaluations after each epoch. */
  private final double[] trainOutputs;

  private final double[] heldOutOutputs;

  TrainingLoop(
      CompiledGraph graph,
      int labelCount,
      List<Value> modelParams,
      double[] train,
      double[] heldOut,
      Metric metric,
      Optimizer optimizer,
      GradientSource gradients) {
    this.graph = graph;
    this.modelParams = modelParams;
    this.train = train;
    this.heldOut = heldOut;
    this.metric = metric;
    this.optimizer = optimizer;
    this.gradients = gradients;
    this.width = graph.inputCount();
    this.out = new double[graph.outputCount()];
    this.outputs = new double[out.length - 1];
    this.labelStart = width - labelCount;
    this.labels = new double[labelCount];
    this.params = Values.data(modelParams);
    this.grad = new double[params.length];
    this.trainOutputs =
        metric != null ? outputRows(train, "the data's outputs, for the metric") : null;
    this.heldOutOutputs =
        heldOut != null ? outputRows(heldOut, "the held-out data's outputs") : null;
  }

  History run(int batch, long totalSteps, int stepsPerEpoch, long seed, Listener listener) {
    int n = train.length / width;
    int epochs = (int) ((totalSteps + stepsPerEpoch - 1) / stepsPerEpoch);
    History history = new History(epochs, metric != null, heldOut != null);
    boolean shuffle = batch < n;
    int[] order = new int[n];
    Arrays.setAll(order, i -> i);
    double[] batchRows = shuffle ? new double[batch * width] : train;
    SplittableRandom random = new SplittableRandom(seed);
    long step = 0;
    for (int epoch = 0; epoch < epochs; epoch++) {
      if (shuffle) {
        shuffle(order, random);
      }
      double lossSum = 0;
      int seen = 0;
      for (int start = 0; start < n && step < totalSteps; start += batch, step++) {
        int count = Math.min(batch, n - start);
        if (shuffle) {
          for (int r = 0; r < count; r++) {
            System.arraycopy(train, order[start + r] * width, batchRows, r * width, width);
          }
        }
        Arrays.fill(grad, 0.0);
        lossSum += gradients.valueAndGrad(graph, batchRows, count, params, grad);
        double scale = 1.0 / count;
        for (int i = 0; i < grad.length; i++) {
          grad[i] *= scale;
        }
        optimizer.step(params, grad);
        seen += count;
      }
      Values.setData(modelParams, params);
      double trainMetric = metric != null ? evaluate(train, trainOutputs)[1] : Double.NaN;
      double[] held =
          heldOut != null
              ? evaluate(heldOut, heldOutOutputs)
              : new double[] {Double.NaN, Double.NaN};
      history.add(lossSum * (1.0 / seen), trainMetric, held[0], held[1]);
      listener.onEpoch(epoch, history);
    }
    return history;
  }

  /**
   * Returns the mean loss and the mean metric (NaN without one) over packed rows, whose outputs
   * {@link CompiledGraph#forwardBatch} computes into {@code outputRows} (as {@code forward} would,
   * to the bit).
   */
  private double[] evaluate(double[] rows, double[] outputRows) {
    int n = rows.length / width;
    graph.forwardBatch(rows, n, params, outputRows);
    double lossSum = 0;
    double metricSum = 0;
    for (int r = 0; r < n; r++) {
      int first = r * out.length;
      lossSum += outputRows[first];
      if (metric != null) {
        System.arraycopy(outputRows, first + 1, outputs, 0, outputs.length);
        System.arraycopy(rows, r * width + labelStart, labels, 0, labels.length);
        metricSum += metric.score(outputs, labels);
      }
    }
    return new double[] {lossSum * (1.0 / n), metric != null ? metricSum * (1.0 / n) : Double.NaN};
  }

  /** Returns room for every output of packed {@code rows}, which {@code what} names in an error. */
  private double[] outputRows(double[] rows, String what) {
    return new double[Training.arrayLength(rows.length / width, out.length, what)];
  }

  /** Fisher-Yates (Knuth, TAOCP vol. 2, Algorithm P), continuing from the previous order. */
  private static void shuffle(int[] order, SplittableRandom random) {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
  }

  /** Returns {@code count} leaves holding 0, named {@code prefix0, prefix1, ...}. */
  static List<Value> leaves(int count, String prefix) {
    List<Value> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(Value.of(0.0, prefix + i));
    }
    return out;
  }

  static List<Value> concat(List<Value> a, List<Value> b) {
    List<Value> out = new ArrayList<>(a.size() + b.size());
    out.addAll(a);
    out.addAll(b);
    return out;
  }
}
