package dev.jitgrad.nn;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Stochastic gradient descent, {@code p -= lr·g}, with optional momentum {@code v = μv + g}, weight
 * decay and gradient clipping.
 */
public final class Sgd implements Optimizer {
  private final double momentum;
  private final GradientRules rules = new GradientRules();
  private double learningRate;
  private double[] velocity;

  /** Creates plain SGD, micrograd's update. */
  public Sgd(double learningRate) {
    this(learningRate, 0.0);
  }

  /**
   * Creates SGD with momentum (PyTorch's form: {@code v = μv + g; p -= lr·v}).
   *
   * @throws IllegalArgumentException if the rate is negative or not finite, or momentum is outside
   *     [0, 1)
   */
  public Sgd(double learningRate, double momentum) {
    if (!(momentum >= 0.0 && momentum < 1.0)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
    }
    setLearningRate(learningRate);
    this.momentum = momentum;
  }

  /**
   * Sets coupled weight decay (L2 regularisation) {@code g += λ·p} and returns this optimiser;
   * micrograd's loss term {@code 1e-4·Σp²} is {@code λ = 2e-4}.
   *
   * @throws IllegalArgumentException if {@code lambda} is negative or not finite
   */
  public Sgd weightDecay(double lambda) {
    rules.setWeightDecay(lambda);
    return this;
  }

  /**
   * Clips the gradients to a global L2 norm of at most {@code maxNorm} before each step, as
   * PyTorch's {@code clip_grad_norm_}, and returns this optimiser.
   *
   * @throws IllegalArgumentException if {@code maxNorm} is not positive
   */
  public Sgd clipGradNorm(double maxNorm) {
    rules.setMaxNorm(maxNorm);
    return this;
  }

  /**
   * Changes the learning rate, for schedules such as micrograd's {@code 1 - 0.9·k/100}.
   *
   * @throws IllegalArgumentException if the rate is negative or not finite
   */
  @Override
  public void setLearningRate(double learningRate) {
    this.learningRate = GradientRules.finiteAtLeastZero(learningRate, "learning rate");
  }

  /** Returns the current learning rate. */
  @Override
  public double learningRate() {
    return learningRate;
  }

  /** Writes the learning rate and momentum buffer; see {@link Optimizer#writeState}. */
  @Override
  public void writeState(DataOutput out) throws IOException {
    OptimizerState.writeHeader(out, "Sgd", settings());
    out.writeDouble(learningRate);
    OptimizerState.writeArray(out, velocity);
  }

  /** Reads the learning rate and momentum buffer; see {@link Optimizer#readState}. */
  @Override
  public void readState(DataInput in) throws IOException {
    OptimizerState.readHeader(in, "Sgd", settings());
    double rate = OptimizerState.readRate(in, 0, false);
    double[] savedVelocity = OptimizerState.readArray(in, "the momentum buffer");
    if (momentum == 0.0 && savedVelocity != null) {
      throw new IOException("the state has a momentum buffer, but momentum is 0");
    }
    learningRate = rate;
    velocity = savedVelocity;
  }

  private double[] settings() {
    double[] rules = this.rules.settings();
    return new double[] {momentum, rules[0], rules[1]};
  }

  @Override
  public void step(double[] params, double[] grads) {
    Optimizer.checkLengths(params, grads, velocity);
    double scale = rules.clipScale(grads);
    if (momentum == 0.0) {
      for (int i = 0; i < params.length; i++) {
        params[i] -= learningRate * rules.gradient(grads[i], params[i], scale);
      }
      return;
    }
    if (velocity == null) {
      velocity = new double[params.length];
    }
    for (int i = 0; i < params.length; i++) {
      velocity[i] = momentum * velocity[i] + rules.gradient(grads[i], params[i], scale);
      params[i] -= learningRate * velocity[i];
    }
  }
}
