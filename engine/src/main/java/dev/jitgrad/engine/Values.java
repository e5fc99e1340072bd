package dev.jitgrad.engine;

import dev.jitgrad.engine.internal.Elements;
import java.util.List;
import java.util.Objects;

/**
 * Copies between lists of values and {@code double[]}: the bridge to compiled code. A null list or
 * array throws a {@link NullPointerException} naming the argument.
 */
public final class Values {
  private Values() {}

  /** Returns a new array holding the data of {@code values}, in list order. */
  public static double[] data(List<Value> values) {
    double[] out = new double[Objects.requireNonNull(values, "values").size()];
    copyData(values, out);
    return out;
  }

  /** Returns a new array holding the gradients of {@code values}, in list order. */
  public static double[] grads(List<Value> values) {
    double[] out = new double[Objects.requireNonNull(values, "values").size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = at(values, i).grad();
    }
    return out;
  }

  /**
   * Copies the data of {@code values} into {@code target}.
   *
   * @throws IllegalArgumentException if the lengths differ
   */
  public static void copyData(List<Value> values, double[] target) {
    checkLength(values, target, "target");
    for (int i = 0; i < target.length; i++) {
      target[i] = at(values, i).data();
    }
  }

  /**
   * Sets the data of each leaf in {@code values} from {@code source}; if it throws, no value has
   * changed.
   *
   * @throws IllegalArgumentException if the lengths differ
   * @throws IllegalStateException if a value is not a leaf
   */
  public static void setData(List<Value> values, double[] source) {
    checkLength(values, source, "source");
    for (int i = 0; i < source.length; i++) {
      Value v = at(values, i);
      if (!v.isLeaf()) {
        v.setData(source[i]); // throws, naming its op, before any value has changed
      }
    }
    for (int i = 0; i < source.length; i++) {
      values.get(i).setData(source[i]);
    }
  }

  /**
   * Sets the gradient of each value in {@code values} from {@code source}.
   *
   * @throws IllegalArgumentException if the lengths differ
   */
  public static void setGrads(List<Value> values, double[] source) {
    checkLength(values, source, "source");
    for (int i = 0; i < source.length; i++) {
      at(values, i).setGrad(source[i]);
    }
  }

  /** Sets the gradient of every value in {@code values} to 0. */
  public static void zeroGrad(List<Value> values) {
    Objects.requireNonNull(values, "values");
    for (int i = 0; i < values.size(); i++) {
      at(values, i).zeroGrad();
    }
  }

  /** Returns value {@code i} of {@code values}, or throws naming it if it is null. */
  private static Value at(List<Value> values, int i) {
    return Elements.nonNull(values.get(i), "values", i);
  }

  private static void checkLength(List<Value> values, double[] array, String name) {
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(array, name);
    if (array.length != values.size()) {
      throw new IllegalArgumentException(
          name
              + " has length "
              + array.length
              + ", expected "
              + values.size()
              + " (one per value)");
    }
  }
}
