package dev.jitgrad.examples;

/** One way to train the moons model: the {@code Value} interpreter or compiled bytecode. */
interface Engine {
  /**
   * Computes the loss and accuracy at the current parameters, then takes one SGD step.
   *
   * @return the loss (data loss plus L2 penalty) and the accuracy before the step
   */
  Step step(double learningRate);

  /** Returns the fraction of samples whose score has the sign of their label. */
  double accuracy();

  /** Returns the model's score of the point {@code (x0, x1)} at the current parameters. */
  double score(double x0, double x1);

  /** Returns a copy of the current parameters, in {@code MLP.parameters()} order. */
  double[] parameters();

  /** The loss and accuracy of one step. */
  record Step(double loss, double accuracy) {}

  /** Returns 1 if {@code score} has the sign of {@code label} (a score of 0 is wrong), else 0. */
  static int correct(double score, double label) {
    return Math.signum(score) == label ? 1 : 0;
  }

  /** Returns the fraction of the points of {@code data} that {@code engine} scores correctly. */
  static double accuracy(Engine engine, Moons data) {
    int correct = 0;
    for (int i = 0; i < data.size(); i++) {
      correct += correct(engine.score(data.x0(i), data.x1(i)), data.label(i));
    }
    return (double) correct / data.size();
  }
}
