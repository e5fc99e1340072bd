package dev.jitgrad.nn;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;
import java.util.function.IntToDoubleFunction;

/**
 * Updates parameters from their gradients; one implementation serves arrays and modules.
 *
 * <p>Learning-rate schedules are default methods: {@code new Sgd(1.0).withLinearDecay(0.1, 100)} is
 * micrograd's {@code 1 - 0.9·k/100}. They need {@link #learningRate()} and {@link
 * #setLearningRate}, which {@link Sgd} and {@link Adam} implement.
 */
public interface Optimizer {
  /**
   * Updates {@code params} in place from {@code grads} (the compiled path).
   *
   * @throws IllegalArgumentException if the lengths differ, or differ from earlier calls
   */
  void step(double[] params, double[] grads);

  /**
   * Updates the data of {@code params} from their gradients, through {@link #step(double[],
   * double[])}.
   */
  default void step(List<Value> params) {
    double[] data = Values.data(params);
    // the same data back: a value that is not a leaf throws before the step changes any state
    Values.setData(params, data);
    step(data, Values.grads(params));
    Values.setData(params, data);
  }

  /**
   * Returns the current learning rate.
   *
   * @throws UnsupportedOperationException if this optimiser has no learning rate
   */
  default double learningRate() {
    throw new UnsupportedOperationException(getClass().getName() + " has no learning rate");
  }

  /**
   * Changes the learning rate from the next step on.
   *
   * @throws UnsupportedOperationException if this optimiser has no learning rate
   * @throws IllegalArgumentException if the optimiser does not accept the rate
   */
  default void setLearningRate(double learningRate) {
    throw new UnsupportedOperationException(getClass().getName() + " has no learning rate");
  }

  /**
   * Returns an optimiser that sets this one's learning rate to {@code rateAtStep(k)} before its
   * step {@code k} (counted from 0 over both {@code step} methods), then takes the step with this
   * optimiser, whose state it shares.
   *
   * @throws UnsupportedOperationException if this optimiser has no learning rate
   * @throws IllegalArgumentException at a step whose rate is negative, NaN or infinite
   */
  default Optimizer withSchedule(IntToDoubleFunction rateAtStep) {
    return new ScheduledOptimizer(this, rateAtStep);
  }

  /**
   * Returns {@link #withSchedule} with the rate going in a straight line from the current rate at
   * step 0 to {@code finalRate} at step {@code steps}, then staying there: {@code r0 + (rN -
   * r0)·k/steps}.
   *
   * @throws IllegalArgumentException if {@code finalRate} is negative or not finite, or {@code
   *     steps} is not positive
   * @throws UnsupportedOperationException if this optimiser has no learning rate
   */
  default Optimizer withLinearDecay(double finalRate, int steps) {
    double start = learningRate();
    ScheduledOptimizer.checkDecay(finalRate, steps);
    return withSchedule(k -> k >= steps ? finalRate : start + (finalRate - start) * k / steps);
  }

  /**
   * Returns {@link #withSchedule} with cosine annealing (Loshchilov and Hutter, 2017, as PyTorch's
   * {@code CosineAnnealingLR}) from the current rate at step 0 to {@code finalRate} at step {@code
   * steps}, then staying there: {@code rN + (r0 - rN)·(1 + cos(π·k/steps))/2}.
   *
   * @throws IllegalArgumentException if {@code finalRate} is negative or not finite, or {@code
   *     steps} is not positive
   * @throws UnsupportedOperationException if this optimiser has no learning rate
   */
  default Optimizer withCosineDecay(double finalRate, int steps) {
    double start = learningRate();
    ScheduledOptimizer.checkDecay(finalRate, steps);
    return withSchedule(
        k ->
            k >= steps
                ? finalRate
                : finalRate + (start - finalRate) * (1 + Math.cos(Math.PI * k / steps)) / 2);
  }

  /**
   * Writes what this optimiser's steps have built up (momentum or moments, step counts, the current
   * learning rate) and its settings, so that {@link #readState} in an optimiser made with the same
   * settings resumes training bit for bit. {@link Sgd}, {@link Adam} and schedules implement it.
   *
   * @throws IOException if writing fails
   * @throws UnsupportedOperationException if this optimiser does not save its state (the default)
   */
  default void writeState(DataOutput out) throws IOException {
    throw new UnsupportedOperationException(getClass().getName() + " does not save its state");
  }

  /**
   * Replaces this optimiser's state by one that {@link #writeState} wrote; on an exception the
   * state is left as it was.
   *
   * @throws IOException if reading fails, or the state was saved by another kind of optimiser, with
   *     other settings, or is invalid
   * @throws UnsupportedOperationException if this optimiser does not save its state (the default)
   */
  default void readState(DataInput in) throws IOException {
    throw new UnsupportedOperationException(getClass().getName() + " does not save its state");
  }

  /** Checks that the arrays match each other and the optimiser's state, if it has any. */
  static void checkLengths(double[] params, double[] grads, double[] state) {
    if (grads.length != params.length) {
      throw new IllegalArgumentException(
          "grads has length " + grads.length + ", expected " + params.length + " (one per param)");
    }
    if (state != null && state.length != params.length) {
      throw new IllegalArgumentException(
          "params has length "
              + params.length
              + " but this optimiser was first used with "
              + state.length);
    }
  }
}
