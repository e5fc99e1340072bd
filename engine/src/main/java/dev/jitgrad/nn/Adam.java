package dev.jitgrad.nn;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Adam (Kingma and Ba, 2015), with bias-corrected first and second moment estimates, coupled weight
 * decay, decoupled weight decay (AdamW, Loshchilov and Hutter, 2019) and gradient clipping.
 */
public final class Adam implements Optimizer {
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final GradientRules rules = new GradientRules();
  private double learningRate;
  private double decoupledWeightDecay;
  private double[] m;
  private double[] v;
  private int t;

  /** Creates Adam with the paper's defaults: betas 0.9 and 0.999, epsilon 1e-8. */
  public Adam(double learningRate) {
    this(learningRate, 0.9, 0.999, 1e-8);
  }

  /**
   * Creates Adam with the given hyperparameters.
   *
   * @throws IllegalArgumentException if the rate is not positive and finite, a beta is outside [0,
   *     1), or epsilon is not positive and finite
   */
  public Adam(double learningRate, double beta1, double beta2, double epsilon) {
    setLearningRate(learningRate);
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + " and " + beta2);
    }
    if (!(epsilon > 0) || epsilon == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("epsilon must be positive and finite, got " + epsilon);
    }
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  /**
   * Sets coupled weight decay (L2 regularisation) {@code g += λ·p}, which the moments then see, and
   * returns this optimiser; micrograd's loss term {@code 1e-4·Σp²} is {@code λ = 2e-4}.
   *
   * @throws IllegalArgumentException if {@code lambda} is negative or not finite
   */
  public Adam weightDecay(double lambda) {
    rules.setWeightDecay(lambda);
    return this;
  }

  /**
   * Sets decoupled weight decay, AdamW's {@code p -= lr·λ·p} before each update (as PyTorch's
   * {@code AdamW}), and returns this optimiser.
   *
   * @throws IllegalArgumentException if {@code lambda} is negative or not finite
   */
  public Adam decoupledWeightDecay(double lambda) {
    this.decoupledWeightDecay = GradientRules.finiteAtLeastZero(lambda, "decoupled weight decay");
    return this;
  }

  /**
   * Clips the gradients to a global L2 norm of at most {@code maxNorm} before each step, as
   * PyTorch's {@code clip_grad_norm_}, and returns this optimiser.
   *
   * @throws IllegalArgumentException if {@code maxNorm} is not positive
   */
  public Adam clipGradNorm(double maxNorm) {
    rules.setMaxNorm(maxNorm);
    return this;
  }

  /**
   * Changes the learning rate from the next step on; the moments are kept.
   *
   * @throws IllegalArgumentException if the rate is not positive and finite
   */
  @Override
  public void setLearningRate(double learningRate) {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
    }
    this.learningRate = learningRate;
  }

  /** Returns the current learning rate. */
  @Override
  public double learningRate() {
    return learningRate;
  }

  /** Writes the learning rate, step count and moments; see {@link Optimizer#writeState}. */
  @Override
  public void writeState(DataOutput out) throws IOException {
    OptimizerState.writeHeader(out, "Adam", settings());
    out.writeDouble(learningRate);
    out.writeInt(t);
    OptimizerState.writeArray(out, m);
    OptimizerState.writeArray(out, v);
  }

  /** Reads the learning rate, step count and moments; see {@link Optimizer#readState}. */
  @Override
  public void readState(DataInput in) throws IOException {
    OptimizerState.readHeader(in, "Adam", settings());
    double rate = OptimizerState.readRate(in, 0, true);
    int steps = in.readInt();
    double[] first = OptimizerState.readArray(in, "the first moments");
    double[] second = OptimizerState.readArray(in, "the second moments");
    boolean started = steps > 0;
    if (steps < 0
        || (first != null) != started
        || (second != null) != started
        || (started && first.length != second.length)) {
      throw new IOException(
          "the state has step count "
              + steps
              + " with moments of lengths "
              + (first == null ? "none" : first.length)
              + " and "
              + (second == null ? "none" : second.length)
              + ", expected both of one length after a step and none before");
    }
    learningRate = rate;
    t = steps;
    m = first;
    v = second;
  }

  private double[] settings() {
    double[] rules = this.rules.settings();
    return new double[] {beta1, beta2, epsilon, decoupledWeightDecay, rules[0], rules[1]};
  }

  @Override
  public void step(double[] params, double[] grads) {
    Optimizer.checkLengths(params, grads, m);
    if (m == null) {
      m = new double[params.length];
      v = new double[params.length];
    }
    if (t < Integer.MAX_VALUE) {
      t++; // stops there: for betas up to 1 - 1e-7 both corrections are 1 to the bit long before
    }
    double correction1 = 1 - Math.pow(beta1, t);
    double correction2 = 1 - Math.pow(beta2, t);
    double shrink = 1 - learningRate * decoupledWeightDecay;
    double scale = rules.clipScale(grads);
    for (int i = 0; i < params.length; i++) {
      double g = rules.gradient(grads[i], params[i], scale);
      if (decoupledWeightDecay != 0.0) {
        params[i] *= shrink;
      }
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= learningRate * (m[i] / correction1) / (Math.sqrt(v[i] / correction2) + epsilon);
    }
  }
}
