package dev.jitgrad.examples;

import dev.jitgrad.codegen.Training;
import dev.jitgrad.nn.Dataset;
import dev.jitgrad.nn.Optimizer;
import dev.jitgrad.nn.Sgd;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.DoubleBinaryOperator;

/**
 * Runs micrograd's moons demo: full-batch SGD on the max-margin loss, its learning rate decaying
 * from 1 to 0.1, with micrograd's L2 penalty {@code α·Σp²} as the optimiser's weight decay {@code
 * 2α}.
 */
final class Trainer {
  private Trainer() {}

  /** Returns the moons data for {@code settings}, seeded with its seed. */
  static Dataset data(Settings settings) {
    return Dataset.moons(settings.samples(), Settings.NOISE, settings.seed());
  }

  /**
   * Returns the unready model for {@code settings}, its weights drawn from a generator split off
   * the data's, so data and weights are each reproducible and independent of each other's size.
   */
  static Network network(Settings settings) {
    return new Network(new SplittableRandom(settings.seed()).split(), settings.layerSizes());
  }

  /** Returns micrograd's optimiser, the same for both engines. */
  static Optimizer optimizer(Settings settings) {
    return new Sgd(1.0).weightDecay(2 * Settings.ALPHA).withLinearDecay(0.1, settings.steps());
  }

  /** A finished training: the trained model's score function and what the training produced. */
  record Run(DoubleBinaryOperator score, TrainingResult result) {}

  /** Trains a fresh model with {@code engine} and returns the outcome. */
  static TrainingResult train(EngineKind engine, Settings settings, Progress progress) {
    return run(engine, settings, progress).result();
  }

  /** Trains a fresh model with {@code engine} and returns the trained model and the outcome. */
  static Run run(EngineKind engine, Settings settings, Progress progress) {
    Dataset data = data(settings);
    Network network = network(settings);
    return engine == EngineKind.COMPILED
        ? CompiledEngine.train(network, data, settings, progress)
        : InterpretedEngine.train(network, data, settings, progress);
  }

  /**
   * Returns a {@link Training} listener that shows each epoch's loss and metric on {@code
   * progress}.
   */
  static Training.Listener listener(Progress progress) {
    return (epoch, h) -> progress.update(epoch + 1, () -> message(h.loss(epoch), h.metric(epoch)));
  }

  /** Returns the progress bar's text for a loss and an accuracy. */
  static String message(double loss, double accuracy) {
    return String.format(Locale.ROOT, "loss %.4g, accuracy %.0f%%", loss, 100 * accuracy);
  }
}
