package dev.jitgrad.examples;

import java.util.SplittableRandom;

/** Runs micrograd's moons demo: full-batch SGD on the max-margin loss with an L2 penalty. */
public final class Trainer {
  private Trainer() {}

  /** Hears about every step, for progress display. */
  @FunctionalInterface
  public interface Listener {
    /** Called after step {@code k} (from 0) with its loss and accuracy. */
    void onStep(int k, double loss, double accuracy);
  }

  /**
   * Returns the moons data for {@code settings}, drawn from a {@link SplittableRandom} seeded with
   * its seed.
   */
  public static Moons data(Settings settings) {
    return Moons.generate(
        settings.samples(), Settings.NOISE, new SplittableRandom(settings.seed()));
  }

  /**
   * Returns the unready model for {@code settings}, its weights drawn from a generator split off
   * the data's, so data and weights are each reproducible and independent of each other's size.
   */
  static Network network(Settings settings) {
    return new Network(new SplittableRandom(settings.seed()).split(), settings.layerSizes());
  }

  /** A finished training: the engine, holding the trained model, and what the training produced. */
  record Run(Engine engine, TrainingResult result) {}

  /** Trains a fresh model with {@code engine} and returns the outcome. */
  public static TrainingResult train(EngineKind engine, Settings settings, Listener listener) {
    return run(engine, settings, listener).result();
  }

  /** Trains a fresh model with {@code engine} and returns the trained engine and the outcome. */
  static Run run(EngineKind engine, Settings settings, Listener listener) {
    Moons data = data(settings);
    Network network = network(settings);
    long start = System.nanoTime();
    Engine e =
        engine == EngineKind.COMPILED
            ? new CompiledEngine(network, data)
            : new InterpretedEngine(network, data);
    long ready = System.nanoTime();
    double[] losses = new double[settings.steps()];
    double[] accuracies = new double[settings.steps()];
    for (int k = 0; k < settings.steps(); k++) {
      Engine.Step step = e.step(settings.learningRate(k));
      losses[k] = step.loss();
      accuracies[k] = step.accuracy();
      listener.onStep(k, step.loss(), step.accuracy());
    }
    double accuracy = e.accuracy();
    long end = System.nanoTime();
    return new Run(
        e,
        new TrainingResult(
            engine,
            e.parameters(),
            losses,
            accuracies,
            accuracy,
            (ready - start) * 1e-9,
            (end - ready) * 1e-9));
  }
}
