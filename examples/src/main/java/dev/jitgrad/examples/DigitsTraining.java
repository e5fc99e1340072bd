package dev.jitgrad.examples;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Jit;
import dev.jitgrad.codegen.JitOptions;
import dev.jitgrad.codegen.Training;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Adam;
import dev.jitgrad.nn.Dataset;
import dev.jitgrad.nn.Init;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.MLP;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The digits demo's recipe: an MLP 64-32-10 (He initialisation, ReLU hidden layer) on pixels scaled
 * to [0, 1], softmax cross-entropy on one-hot labels, Adam with learning rate {@value
 * #LEARNING_RATE}, minibatches of {@value #BATCH_SIZE}, {@value #EPOCHS} epochs, on a seeded,
 * stratified 80/20 split: 20% of each digit's images are held out.
 *
 * <p>Public for the Spark demo, which trains the same run with Spark as its gradient source.
 */
public final class DigitsTraining {
  static final int HIDDEN = 32;
  static final double LEARNING_RATE = 0.01;
  static final int BATCH_SIZE = 32;

  /** The epochs of the {@code digits} command's default run. */
  public static final int EPOCHS = 20;

  static final double HELD_OUT = 0.2;

  private DigitsTraining() {}

  /**
   * The data split into training and held-out rows.
   *
   * @param train the training rows
   * @param heldOut the held-out rows
   * @param heldOutIndices the index in the digits of each held-out row
   */
  record Split(Dataset train, Dataset heldOut, int[] heldOutIndices) {}

  /**
   * What a run produced.
   *
   * @param training the losses, accuracies, parameters and times
   * @param predictions the predicted digit of each held-out row
   * @param split the data it trained and was evaluated on
   */
  record Result(TrainingResult training, int[] predictions, Split split) {
    /** Returns {@code counts[true digit][predicted digit]} over the held-out rows. */
    int[][] confusion() {
      int[][] counts = new int[Digits.CLASSES][Digits.CLASSES];
      double[][] labels = split.heldOut().labels();
      for (int i = 0; i < predictions.length; i++) {
        counts[argmax(labels[i])][predictions[i]]++;
      }
      return counts;
    }
  }

  /**
   * Returns one digit's loss: {@link Losses#softmaxCrossEntropy(List, List)} of the logits against
   * the one-hot label, which the compiled graph takes as inputs.
   */
  static Value digitsLoss(List<Value> logits, List<Value> oneHot) {
    return Losses.softmaxCrossEntropy(logits, oneHot);
  }

  /**
   * Holds out {@link #HELD_OUT} of each digit's images (rounded), chosen with {@code random}; the
   * rest, in the data's order, is for training.
   *
   * @throws IllegalArgumentException if that leaves no image to train on or none to hold out
   */
  static Split split(Digits digits, SplittableRandom random, String source) {
    List<List<Integer>> byClass = new ArrayList<>();
    for (int c = 0; c < Digits.CLASSES; c++) {
      byClass.add(new ArrayList<>());
    }
    for (int i = 0; i < digits.size(); i++) {
      byClass.get(digits.label(i)).add(i);
    }
    boolean[] held = new boolean[digits.size()];
    for (List<Integer> rows : byClass) {
      int count = (int) Math.round(HELD_OUT * rows.size());
      for (int k = 0; k < count; k++) {
        int pick = k + random.nextInt(rows.size() - k);
        Integer chosen = rows.set(pick, rows.get(k));
        rows.set(k, chosen);
        held[chosen] = true;
      }
    }
    List<Integer> train = new ArrayList<>();
    List<Integer> heldOut = new ArrayList<>();
    for (int i = 0; i < digits.size(); i++) {
      (held[i] ? heldOut : train).add(i);
    }
    if (train.isEmpty() || heldOut.isEmpty()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s holds %d digits, too few to hold out %.0f%% of each digit and train on the rest",
              source,
              digits.size(),
              100 * HELD_OUT));
    }
    return new Split(
        dataset(digits, train),
        dataset(digits, heldOut),
        heldOut.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Returns the rows {@code indices} of {@code digits}: pixels divided by 16, one-hot labels. */
  private static Dataset dataset(Digits digits, List<Integer> indices) {
    double[][] features = new double[indices.size()][Digits.PIXELS];
    double[][] labels = new double[indices.size()][Digits.CLASSES];
    for (int r = 0; r < indices.size(); r++) {
      int i = indices.get(r);
      for (int p = 0; p < Digits.PIXELS; p++) {
        features[r][p] = digits.pixel(i, p) / 16.0;
      }
      labels[r][digits.label(i)] = 1.0;
    }
    return new Dataset(features, labels);
  }

  /** A fresh model and its training run on a split, all but the gradient source and listener. */
  private record Run(Split split, MLP model, int steps, Training training) {}

  /**
   * Returns the {@code digits} command's run with default seed and {@code epochs}, on the shipped
   * digits, with {@code gradients} computing each step's summed gradient; its {@link
   * Training.History#heldOutMetric()} ends with the held-out accuracy the command prints.
   *
   * @throws IllegalArgumentException if {@code epochs} is not positive or holds more than {@link
   *     Integer#MAX_VALUE} steps
   * @throws NullPointerException if {@code gradients} is null
   */
  public static Training.History train(int epochs, Training.GradientSource gradients) {
    if (epochs <= 0) {
      throw new IllegalArgumentException("epochs must be positive, got " + epochs);
    }
    return prepare(Digits.load(), Digits.RESOURCE, Settings.DEFAULT_SEED, epochs)
        .training()
        .gradients(gradients)
        .run();
  }

  /**
   * Trains a fresh model on a split of {@code digits}, both drawn from {@code seed}, with {@code
   * engine} computing the gradients, and evaluates it on the held-out rows.
   *
   * @throws IllegalArgumentException if the split leaves no rows on a side, or the epochs hold more
   *     than {@link Integer#MAX_VALUE} steps
   */
  static Result train(
      Digits digits, String source, long seed, int epochs, EngineKind engine, Progress progress) {
    Run run = prepare(digits, source, seed, epochs);
    Stopwatch clock =
        new Stopwatch(
            engine == EngineKind.COMPILED
                ? Training.GradientSource.local()
                : new InterpretedGradients(run.model(), DigitsTraining::digitsLoss));
    Training.History history =
        run.training().gradients(clock).listener(Trainer.listener(progress)).run();
    TrainingResult result = TrainingResult.of(engine, run.model(), history, run.steps(), clock);
    return new Result(result, predict(run.model(), run.split().heldOut()), run.split());
  }

  /** Splits {@code digits} and sets up the recipe's model and training, both drawn from seed. */
  private static Run prepare(Digits digits, String source, long seed, int epochs) {
    SplittableRandom random = new SplittableRandom(seed);
    Split split = split(digits, random.split(), source);
    MLP model = new MLP(random.split(), Init.HE, Digits.PIXELS, HIDDEN, Digits.CLASSES);
    long stepsPerEpoch = (split.train().size() + BATCH_SIZE - 1) / BATCH_SIZE;
    if (epochs * stepsPerEpoch > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%,d epochs of %,d steps are more than the %,d steps the learning-rate schedule"
                  + " counts",
              epochs,
              stepsPerEpoch,
              Integer.MAX_VALUE));
    }
    int steps = (int) (epochs * stepsPerEpoch);
    Training training =
        Training.of(model, DigitsTraining::digitsLoss)
            .data(split.train())
            .heldOut(split.heldOut())
            .metric(Training.Metric.argmaxAccuracy())
            .optimizer(new Adam(LEARNING_RATE).withCosineDecay(0.0, steps))
            .batchSize(BATCH_SIZE)
            .epochs(epochs)
            .seed(seed);
    return new Run(split, model, steps, training);
  }

  /** Returns the model's predicted digit, its largest output, for each row of {@code data}. */
  private static int[] predict(MLP model, Dataset data) {
    List<Value> inputs = new ArrayList<>(Digits.PIXELS);
    for (int p = 0; p < Digits.PIXELS; p++) {
      inputs.add(Value.of(0.0, "x" + p));
    }
    CompiledGraph logits =
        Jit.compile(model.apply(inputs), inputs, model.parameters(), JitOptions.defaults());
    double[] params = Values.data(model.parameters());
    double[] out = new double[Digits.CLASSES];
    int[] predictions = new int[data.size()];
    for (int i = 0; i < data.size(); i++) {
      logits.forward(data.features()[i], params, out);
      predictions[i] = argmax(out);
    }
    return predictions;
  }

  /** Returns the index of the largest value, the first of ties (as {@code argmaxAccuracy}). */
  static int argmax(double[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
