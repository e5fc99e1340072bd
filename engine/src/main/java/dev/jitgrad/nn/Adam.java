package dev.jitgrad.nn;

/** Adam (Kingma and Ba, 2015), with bias-corrected first and second moment estimates. */
public final class Adam implements Optimizer {
  private final double learningRate;
  private final double beta1;
  private final double beta2;
  private final double epsilon;
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
   *     1), or epsilon is not positive
   */
  public Adam(double learningRate, double beta1, double beta2, double epsilon) {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + " and " + beta2);
    }
    if (!(epsilon > 0)) {
      throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
    }
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  @Override
  public void step(double[] params, double[] grads) {
    Optimizer.checkLengths(params, grads, m);
    if (m == null) {
      m = new double[params.length];
      v = new double[params.length];
    }
    t++;
    double correction1 = 1 - Math.pow(beta1, t);
    double correction2 = 1 - Math.pow(beta2, t);
    for (int i = 0; i < params.length; i++) {
      double g = grads[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= learningRate * (m[i] / correction1) / (Math.sqrt(v[i] / correction2) + epsilon);
    }
  }
}
