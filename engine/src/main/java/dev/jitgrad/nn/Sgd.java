package dev.jitgrad.nn;

/** Stochastic gradient descent, {@code p -= lr·g}, with optional momentum {@code v = μv + g}. */
public final class Sgd implements Optimizer {
  private final double momentum;
  private double learningRate;
  private double[] velocity;

  /** Creates plain SGD, micrograd's update. */
  public Sgd(double learningRate) {
    this(learningRate, 0.0);
  }

  /**
   * Creates SGD with momentum (PyTorch's form: {@code v = μv + g; p -= lr·v}).
   *
   * @throws IllegalArgumentException if the rate is not finite or momentum is outside [0, 1)
   */
  public Sgd(double learningRate, double momentum) {
    if (!(momentum >= 0.0 && momentum < 1.0)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
    }
    setLearningRate(learningRate);
    this.momentum = momentum;
  }

  /**
   * Changes the learning rate, for schedules such as micrograd's {@code 1 - 0.9·k/100}.
   *
   * @throws IllegalArgumentException if the rate is not finite
   */
  public void setLearningRate(double learningRate) {
    if (!Double.isFinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be finite, got " + learningRate);
    }
    this.learningRate = learningRate;
  }

  /** Returns the current learning rate. */
  public double learningRate() {
    return learningRate;
  }

  @Override
  public void step(double[] params, double[] grads) {
    Optimizer.checkLengths(params, grads, velocity);
    if (momentum == 0.0) {
      for (int i = 0; i < params.length; i++) {
        params[i] -= learningRate * grads[i];
      }
      return;
    }
    if (velocity == null) {
      velocity = new double[params.length];
    }
    for (int i = 0; i < params.length; i++) {
      velocity[i] = momentum * velocity[i] + grads[i];
      params[i] -= learningRate * velocity[i];
    }
  }
}
