package dev.jitgrad.nn;

import dev.jitgrad.engine.Value;
import java.util.List;

/** A function from input values to output values with trainable parameters, such as {@link MLP}. */
public interface Model extends Parameterized {
  /** Returns how many inputs {@link #apply} takes. */
  int inputCount();

  /** Returns how many outputs {@link #apply} returns. */
  int outputCount();

  /**
   * Returns the model's outputs for {@code inputs}, built from {@link Value} ops on the parameters.
   *
   * @throws IllegalArgumentException if {@code inputs} does not hold {@link #inputCount()} values
   */
  List<Value> apply(List<Value> inputs);
}
