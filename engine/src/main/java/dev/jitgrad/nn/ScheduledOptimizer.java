package dev.jitgrad.nn;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Objects;
import java.util.function.IntToDoubleFunction;

/**
 * An optimiser whose learning rate follows a schedule of the step number; see {@link Optimizer}.
 */
final class ScheduledOptimizer implements Optimizer {
  private final Optimizer optimizer;
  private final IntToDoubleFunction rateAtStep;
  private int step;

  ScheduledOptimizer(Optimizer optimizer, IntToDoubleFunction rateAtStep) {
    this.optimizer = optimizer;
    this.rateAtStep = Objects.requireNonNull(rateAtStep, "rateAtStep");
    optimizer.learningRate();
  }

  @Override
  public void step(double[] params, double[] grads) {
    double rate = rateAtStep.applyAsDouble(step);
    if (!(rate >= 0) || rate == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException(
          "the schedule gave learning rate " + rate + " at step " + step + ", expected >= 0");
    }
    optimizer.setLearningRate(rate);
    optimizer.step(params, grads);
    if (step < Integer.MAX_VALUE) {
      step++; // the count stops there, the schedules' final rate long reached
    }
  }

  /** Writes the step count, then the scheduled optimiser's state. */
  @Override
  public void writeState(DataOutput out) throws IOException {
    OptimizerState.writeHeader(out, "schedule");
    out.writeInt(step);
    optimizer.writeState(out);
  }

  /** Reads the step count, then the scheduled optimiser's state. */
  @Override
  public void readState(DataInput in) throws IOException {
    OptimizerState.readHeader(in, "schedule");
    int saved = in.readInt();
    if (saved < 0) {
      throw new IOException("the schedule's step count is " + saved + ", expected at least 0");
    }
    optimizer.readState(in);
    step = saved;
  }

  @Override
  public double learningRate() {
    return optimizer.learningRate();
  }

  @Override
  public void setLearningRate(double learningRate) {
    optimizer.setLearningRate(learningRate);
  }

  static void checkDecay(double finalRate, int steps) {
    GradientRules.finiteAtLeastZero(finalRate, "final learning rate");
    if (steps <= 0) {
      throw new IllegalArgumentException("schedule steps must be positive, got " + steps);
    }
  }
}
