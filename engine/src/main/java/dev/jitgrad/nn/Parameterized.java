package dev.jitgrad.nn;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.util.List;

/** Something with trainable parameters: micrograd's {@code Module}. */
public interface Parameterized {
  /** Returns the trainable leaves, in a fixed order. */
  List<Value> parameters();

  /** Sets every parameter's gradient to 0. */
  default void zeroGrad() {
    Values.zeroGrad(parameters());
  }
}
