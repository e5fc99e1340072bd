package dev.jitgrad.examples;

/**
 * What one training run produced.
 *
 * @param engine the engine that trained
 * @param parameters the final parameters, in {@code MLP.parameters()} order
 * @param losses the loss at each step, before its update
 * @param accuracies the accuracy at each step, before its update
 * @param accuracy the accuracy of the final parameters
 * @param setupSeconds the time to build the engine (for the compiled engine, to compile)
 * @param trainSeconds the time the steps took
 */
public record TrainingResult(
    EngineKind engine,
    double[] parameters,
    double[] losses,
    double[] accuracies,
    double accuracy,
    double setupSeconds,
    double trainSeconds) {
  /** Returns the number of steps taken. */
  public int steps() {
    return losses.length;
  }

  /** Returns the loss of the last step. */
  public double finalLoss() {
    return losses[losses.length - 1];
  }

  /** Returns the steps per second of training, setup excluded. */
  public double stepsPerSecond() {
    return steps() / trainSeconds;
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
