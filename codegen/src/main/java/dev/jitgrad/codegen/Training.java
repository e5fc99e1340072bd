package dev.jitgrad.codegen;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Dataset;
import dev.jitgrad.nn.Model;
import dev.jitgrad.nn.Optimizer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Trains a {@link Model} with compiled code: a builder whose {@link #run()} compiles one sample's
 * loss once and takes minibatch steps with it.
 *
 * <pre>{@code
 * Training.History h = Training.of(model, (out, y) -> Losses.svmMaxMargin(out.get(0), y.get(0)))
 *     .data(Dataset.moons(100, 0.1, 1337))
 *     .optimizer(new Sgd(1.0).weightDecay(2e-4).withLinearDecay(0.1, 100))
 *     .epochs(100)
 *     .run();
 * }</pre>
 *
 * <p>The compiled graph's inputs are one row's features, then its labels; its params are {@link
 * Model#parameters()}, in order; output 0 is the loss and outputs 1.. are the model's outputs. Each
 * step zeroes the gradient, asks the {@link GradientSource} for the batch's summed loss and
 * gradient, multiplies the gradient by {@code 1/rows} on the array (the batch mean) and passes it
 * to the optimiser; regularise with the optimiser's weight decay rather than in the loss. An epoch
 * visits the rows in a fresh order drawn from the seed; when one batch holds every row the data
 * order is kept, since shuffling would change only the rounding of the sum. After every epoch the
 * weights are written back into the model with {@code Values.setData}, then the held-out set and
 * the metric are evaluated with the compiled forward pass and the listener is called.
 */
public final class Training {
  private final Model model;
  private final int labelCount;
  private final SampleLoss loss;
  private double[] data;
  private double[] heldOut;
  private Metric metric;
  private Optimizer optimizer;
  private int batchSize = Integer.MAX_VALUE;
  private int epochs = 1;
  private int steps;
  private long seed;
  private Listener listener = (epoch, history) -> {};
  private GradientSource gradients = GradientSource.local();

  private Training(Model model, int labelCount, SampleLoss loss) {
    this.model = Objects.requireNonNull(model, "model");
    this.loss = Objects.requireNonNull(loss, "loss");
    if (labelCount < 0) {
      throw new IllegalArgumentException("label count must be >= 0, got " + labelCount);
    }
    long width = (long) model.inputCount() + labelCount;
    if (width <= 0) {
      throw new IllegalArgumentException(
          "a row needs at least one value, got "
              + model.inputCount()
              + " model inputs and "
              + labelCount
              + " labels");
    }
    if (width > MAX_ARRAY) {
      throw new IllegalArgumentException(
          "a row of "
              + model.inputCount()
              + " model inputs and "
              + labelCount
              + " labels has "
              + width
              + " values, more than an array holds ("
              + MAX_ARRAY
              + ")");
    }
    this.labelCount = labelCount;
  }

  /** One sample's loss as a function of the model's outputs and the sample's labels. */
  @FunctionalInterface
  public interface SampleLoss {
    /** Returns the loss of one sample, built from {@link Value} ops on its arguments. */
    Value apply(List<Value> outputs, List<Value> labels);
  }

  /** A per-row score such as accuracy; an epoch reports its mean over the rows. */
  @FunctionalInterface
  public interface Metric {
    /** Returns the score of one row from the model's outputs and the row's labels. */
    double score(double[] outputs, double[] labels);

    /** Returns 1 when output 0 has the sign of label 0 (labels of ±1; a 0 output is wrong). */
    static Metric signAccuracy() {
      return (outputs, labels) -> Math.signum(outputs[0]) == labels[0] ? 1 : 0;
    }

    /** Returns 1 when the largest output is where the largest (one-hot) label is; ties go first. */
    static Metric argmaxAccuracy() {
      return (outputs, labels) -> argmax(outputs) == argmax(labels) ? 1 : 0;
    }
  }

  /**
   * Where a step's gradient comes from: the seam through which a cluster can compute it instead.
   */
  @FunctionalInterface
  public interface GradientSource {
    /**
     * Adds the gradient of output 0 summed over the first {@code rows} rows of {@code inputRows}
     * (row-major, {@code graph.inputCount()} values each: features then labels) into {@code
     * paramGrad} and returns the summed output 0, as {@link CompiledGraph#valueAndGradBatch}.
     */
    double valueAndGrad(
        CompiledGraph graph, double[] inputRows, int rows, double[] params, double[] paramGrad);

    /** Returns the source that runs {@link CompiledGraph#valueAndGradBatch} in this JVM. */
    static GradientSource local() {
      return CompiledGraph::valueAndGradBatch;
    }
  }

  /** Hears about every finished epoch. */
  @FunctionalInterface
  public interface Listener {
    /** Called after epoch {@code epoch} (from 0), with the history up to it included. */
    void onEpoch(int epoch, History history);
  }

  /**
   * Returns a training run of {@code model} on {@code loss} whose labels have one value per model
   * output, as for mean squared error, max-margin or one-hot cross-entropy.
   *
   * @throws NullPointerException if an argument is null
   */
  public static Training of(Model model, SampleLoss loss) {
    return new Training(model, Objects.requireNonNull(model, "model").outputCount(), loss);
  }

  /**
   * Returns a training run of {@code model} on {@code loss} whose labels have {@code labelCount}
   * values per row.
   *
   * @throws IllegalArgumentException if {@code labelCount} is negative, it and the model's input
   *     count are both 0, or together more values than an array holds
   * @throws NullPointerException if an argument is null
   */
  public static Training of(Model model, int labelCount, SampleLoss loss) {
    return new Training(model, labelCount, loss);
  }

  /**
   * Sets the training rows, copied now.
   *
   * @throws IllegalArgumentException if there are no rows, a row's features do not match the
   *     model's input count or its labels the loss's label count, or the rows hold more values than
   *     an array does
   */
  public Training data(Dataset train) {
    this.data = rows(train, "training data");
    return this;
  }

  /**
   * Sets held-out rows, copied now, whose loss (and metric, if set) is reported after every epoch.
   *
   * @throws IllegalArgumentException as {@link #data}
   */
  public Training heldOut(Dataset heldOut) {
    this.heldOut = rows(heldOut, "held-out data");
    return this;
  }

  /** Sets a metric reported after every epoch on the training rows and the held-out rows. */
  public Training metric(Metric metric) {
    this.metric = Objects.requireNonNull(metric, "metric");
    return this;
  }

  /** Sets the optimiser; its state carries over between runs. */
  public Training optimizer(Optimizer optimizer) {
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    return this;
  }

  /**
   * Sets the rows per step; the default, or any size of at least the row count, is full batch.
   *
   * @throws IllegalArgumentException if {@code batchSize} is not positive
   */
  public Training batchSize(int batchSize) {
    this.batchSize = positive(batchSize, "batch size");
    return this;
  }

  /**
   * Sets the number of passes over the data (1 by default), replacing any {@link #steps}.
   *
   * @throws IllegalArgumentException if {@code epochs} is not positive
   */
  public Training epochs(int epochs) {
    this.epochs = positive(epochs, "epochs");
    this.steps = 0;
    return this;
  }

  /**
   * Sets the number of optimiser steps instead of epochs; a last partial epoch is reported too.
   *
   * @throws IllegalArgumentException if {@code steps} is not positive
   */
  public Training steps(int steps) {
    this.steps = positive(steps, "steps");
    return this;
  }

  /** Sets the seed of the shuffling (0 by default). */
  public Training seed(long seed) {
    this.seed = seed;
    return this;
  }

  /** Sets the listener called after every epoch. */
  public Training listener(Listener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /** Sets where gradients come from ({@link GradientSource#local()} by default). */
  public Training gradients(GradientSource gradients) {
    this.gradients = Objects.requireNonNull(gradients, "gradients");
    return this;
  }

  /**
   * Compiles the loss, trains from the model's current weights, leaves the trained weights in the
   * model and returns the loss and metrics of every epoch.
   *
   * @throws IllegalStateException if no data or no optimiser was set
   * @throws IllegalArgumentException if the optimiser rejects a step, e.g. a scheduled rate, or the
   *     outputs of every row (kept for the metric and the held-out loss) are more values than an
   *     array holds
   */
  public History run() {
    if (data == null) {
      throw new IllegalStateException("no training data: call data(...) before run()");
    }
    if (optimizer == null) {
      throw new IllegalStateException("no optimiser: call optimizer(...) before run()");
    }
    CompiledGraph graph = compile();
    int rows = data.length / (model.inputCount() + labelCount);
    int batch = Math.min(batchSize, rows);
    int stepsPerEpoch = (rows + batch - 1) / batch;
    long total = steps > 0 ? steps : (long) epochs * stepsPerEpoch;
    TrainingLoop loop =
        new TrainingLoop(
            graph, labelCount, model.parameters(), data, heldOut, metric, optimizer, gradients);
    return loop.run(batch, total, stepsPerEpoch, seed, listener);
  }

  private CompiledGraph compile() {
    List<Value> features = TrainingLoop.leaves(model.inputCount(), "x");
    List<Value> labels = TrainingLoop.leaves(labelCount, "y");
    List<Value> outputs = model.apply(features);
    Value sampleLoss = Objects.requireNonNull(loss.apply(outputs, labels), "loss returned null");
    return Jit.compile(
        TrainingLoop.concat(List.of(sampleLoss), outputs),
        TrainingLoop.concat(features, labels),
        model.parameters(),
        JitOptions.defaults());
  }

  /** Checks a data set and packs it row-major, features then labels. */
  private double[] rows(Dataset set, String name) {
    Objects.requireNonNull(set, name);
    if (set.size() == 0) {
      throw new IllegalArgumentException(name + " is empty, expected at least one row");
    }
    for (int i = 0; i < set.size(); i++) {
      checkWidth(set.features()[i], model.inputCount(), name, "features", i, "model's inputs");
      checkWidth(set.labels()[i], labelCount, name, "labels", i, "loss's labels");
    }
    int width = model.inputCount() + labelCount;
    double[] out = new double[arrayLength(set.size(), width, name)];
    for (int i = 0; i < set.size(); i++) {
      System.arraycopy(set.features()[i], 0, out, i * width, model.inputCount());
      System.arraycopy(set.labels()[i], 0, out, i * width + model.inputCount(), labelCount);
    }
    return out;
  }

  /** The most values one array of a run holds: a little under {@code Integer.MAX_VALUE}. */
  static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  /**
   * Returns {@code rows · width} as an array length.
   *
   * @throws IllegalArgumentException naming {@code what} and the rows if no array holds that many
   */
  static int arrayLength(long rows, long width, String what) {
    long length = rows * width;
    if (length > MAX_ARRAY) {
      throw new IllegalArgumentException(
          what
              + ": "
              + rows
              + " rows of "
              + width
              + " values are "
              + length
              + " values, more than an array holds ("
              + MAX_ARRAY
              + ")");
    }
    return (int) length;
  }

  private static void checkWidth(
      double[] row, int expected, String set, String part, int i, String what) {
    if (row.length != expected) {
      throw new IllegalArgumentException(
          set
              + ": "
              + part
              + "["
              + i
              + "] has "
              + row.length
              + " values, expected "
              + expected
              + " (the "
              + what
              + ")");
    }
  }

  private static int positive(int value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
    return value;
  }

  private static int argmax(double[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  /** The loss and metrics of every epoch so far; a series that was not asked for is empty. */
  public static final class History {
    private double[] loss;
    private double[] metric;
    private double[] heldOutLoss;
    private double[] heldOutMetric;
    private int epochs;

    /**
     * A history for up to {@code epochs} epochs, which grows as they finish: a run of {@code
     * Integer.MAX_VALUE} epochs that a listener stops allocates no more than it records.
     */
    History(int epochs, boolean hasMetric, boolean hasHeldOut) {
      int capacity = Math.min(epochs, 1024);
      loss = new double[capacity];
      metric = new double[hasMetric ? capacity : 0];
      heldOutLoss = new double[hasHeldOut ? capacity : 0];
      heldOutMetric = new double[hasMetric && hasHeldOut ? capacity : 0];
    }

    void add(double loss, double metric, double heldOutLoss, double heldOutMetric) {
      if (epochs == this.loss.length) {
        int capacity = (int) Math.min(2L * epochs + 1, MAX_ARRAY);
        this.loss = Arrays.copyOf(this.loss, capacity);
        this.metric = grown(this.metric, capacity);
        this.heldOutLoss = grown(this.heldOutLoss, capacity);
        this.heldOutMetric = grown(this.heldOutMetric, capacity);
      }
      this.loss[epochs] = loss;
      set(this.metric, metric);
      set(this.heldOutLoss, heldOutLoss);
      set(this.heldOutMetric, heldOutMetric);
      epochs++;
    }

    /** Returns {@code series} with room for {@code capacity} epochs, or itself if not asked for. */
    private static double[] grown(double[] series, int capacity) {
      return series.length == 0 ? series : Arrays.copyOf(series, capacity);
    }

    private void set(double[] series, double value) {
      if (series.length > 0) {
        series[epochs] = value;
      }
    }

    /** Returns the number of finished epochs. */
    public int epochs() {
      return epochs;
    }

    /**
     * Returns each epoch's mean training loss, over its rows at the weights each batch started
     * from.
     */
    public double[] loss() {
      return Arrays.copyOf(loss, epochs);
    }

    /** Returns each epoch's metric on the training rows after the epoch, or nothing if unset. */
    public double[] metric() {
      return Arrays.copyOf(metric, Math.min(epochs, metric.length));
    }

    /**
     * Returns each epoch's mean held-out loss after the epoch, or nothing without held-out data.
     */
    public double[] heldOutLoss() {
      return Arrays.copyOf(heldOutLoss, Math.min(epochs, heldOutLoss.length));
    }

    /** Returns each epoch's held-out metric, or nothing without a metric and held-out data. */
    public double[] heldOutMetric() {
      return Arrays.copyOf(heldOutMetric, Math.min(epochs, heldOutMetric.length));
    }

    /**
     * Returns epoch {@code epoch}'s mean training loss without copying the series, for listeners
     * that read it every epoch.
     *
     * @throws IllegalArgumentException if {@code epoch} is not a finished epoch
     */
    public double loss(int epoch) {
      return at(loss, epoch, "loss");
    }

    /**
     * Returns epoch {@code epoch}'s metric on the training rows.
     *
     * @throws IllegalArgumentException if {@code epoch} is not a finished epoch or no metric is set
     */
    public double metric(int epoch) {
      return at(metric, epoch, "metric");
    }

    /**
     * Returns epoch {@code epoch}'s mean held-out loss.
     *
     * @throws IllegalArgumentException if {@code epoch} is not a finished epoch or there is no
     *     held-out data
     */
    public double heldOutLoss(int epoch) {
      return at(heldOutLoss, epoch, "heldOutLoss");
    }

    /**
     * Returns epoch {@code epoch}'s held-out metric.
     *
     * @throws IllegalArgumentException if {@code epoch} is not a finished epoch or there is no
     *     metric or no held-out data
     */
    public double heldOutMetric(int epoch) {
      return at(heldOutMetric, epoch, "heldOutMetric");
    }

    private double at(double[] series, int epoch, String name) {
      if (series.length == 0) {
        throw new IllegalArgumentException("this history has no " + name + " series");
      }
      if (epoch < 0 || epoch >= epochs) {
        throw new IllegalArgumentException(
            "epoch must be in [0, " + epochs + "), the finished epochs, got " + epoch);
      }
      return series[epoch];
    }
  }
}
