package dev.jitgrad.examples;

import dev.jitgrad.codegen.Training;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Model;

/**
 * What one training run produced.
 *
 * @param engine the engine that trained
 * @param parameters the final parameters, in {@code Model.parameters()} order
 * @param losses the mean training loss of each epoch, at the weights each step started from (the
 *     moons demo is full batch: one step per epoch)
 * @param accuracies the training accuracy after each epoch
 * @param heldOutAccuracy the accuracy of the final parameters on held-out data, or NaN if none
 * @param steps the number of optimiser steps taken
 * @param setupSeconds the time before the first step (for the compiled engine, to compile)
 * @param trainSeconds the time the steps and the per-epoch evaluations took
 */
public record TrainingResult(
    EngineKind engine,
    double[] parameters,
    double[] losses,
    double[] accuracies,
    double heldOutAccuracy,
    long steps,
    double setupSeconds,
    double trainSeconds) {
  /** Returns the result of a {@link Training} run of {@code model}, timed by {@code clock}. */
  static TrainingResult of(
      EngineKind engine, Model model, Training.History history, long steps, Stopwatch clock) {
    double[] heldOut = history.heldOutMetric();
    return new TrainingResult(
        engine,
        Values.data(model.parameters()),
        history.loss(),
        history.metric(),
        heldOut.length == 0 ? Double.NaN : heldOut[heldOut.length - 1],
        steps,
        clock.setupSeconds(),
        clock.trainSeconds());
  }

  /** Returns the training accuracy of the final parameters. */
  public double accuracy() {
    return accuracies[accuracies.length - 1];
  }

  /** Returns the loss of the last epoch. */
  public double finalLoss() {
    return losses[losses.length - 1];
  }

  /** Returns the steps per second of training, setup excluded. */
  public double stepsPerSecond() {
    return steps / trainSeconds;
  }

  /** Returns the wall time of setup and training. */
  public double totalSeconds() {
    return setupSeconds + trainSeconds;
  }

  /**
   * Returns the largest difference between this run's parameters and {@code other}'s, relative to
   * their size: {@code max |a - b| / max(1, |a|, |b|)}.
   *
   * @throws IllegalArgumentException if the runs have different numbers of parameters
   */
  public double maxRelativeDifference(TrainingResult other) {
    if (other.parameters.length != parameters.length) {
      throw new IllegalArgumentException(
          parameters.length + " parameters against " + other.parameters.length);
    }
    double max = 0;
    for (int i = 0; i < parameters.length; i++) {
      double a = parameters[i];
      double b = other.parameters[i];
      double scale = Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
      max = Math.max(max, Math.abs(a - b) / scale);
    }
    return max;
  }
}
