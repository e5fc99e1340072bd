package dev.jitgrad.nn;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.util.List;

/** Updates parameters from their gradients; one implementation serves arrays and modules. */
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
    step(data, Values.grads(params));
    Values.setData(params, data);
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
