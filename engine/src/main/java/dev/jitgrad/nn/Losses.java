package dev.jitgrad.nn;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.List;

/** The losses micrograd's demo and typical users need, built from {@link Value} ops. */
public final class Losses {
  private Losses() {}

  /**
   * Returns the mean of {@code values}, as {@code sum · (1/n)} like micrograd.
   *
   * @throws IllegalArgumentException if {@code values} is empty
   */
  public static Value mean(List<Value> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("mean of an empty list");
    }
    return Value.sum(values).mul(1.0 / values.size());
  }

  /**
   * Returns the mean squared error {@code mean((pᵢ - tᵢ)²)}.
   *
   * @throws IllegalArgumentException if the sizes differ or are 0
   */
  public static Value meanSquaredError(List<Value> predictions, double[] targets) {
    if (predictions.size() != targets.length) {
      throw new IllegalArgumentException(
          predictions.size() + " predictions but " + targets.length + " targets");
    }
    List<Value> squares = new ArrayList<>(targets.length);
    for (int i = 0; i < targets.length; i++) {
      squares.add(predictions.get(i).sub(targets[i]).pow(2));
    }
    return mean(squares);
  }

  /**
   * Returns the mean squared error {@code mean((pᵢ - tᵢ)²)} with the targets as values, so a
   * compiled graph can take them as inputs.
   *
   * @throws IllegalArgumentException if the sizes differ or are 0
   */
  public static Value meanSquaredError(List<Value> predictions, List<Value> targets) {
    if (predictions.size() != targets.size()) {
      throw new IllegalArgumentException(
          predictions.size() + " predictions but " + targets.size() + " targets");
    }
    List<Value> squares = new ArrayList<>(targets.size());
    for (int i = 0; i < targets.size(); i++) {
      squares.add(predictions.get(i).sub(targets.get(i)).pow(2));
    }
    return mean(squares);
  }

  /**
   * Returns micrograd's SVM max-margin loss {@code relu(1 - y·score)} for a label of ±1.
   *
   * @throws IllegalArgumentException if {@code label} is not 1 or -1
   */
  public static Value svmMaxMargin(Value score, double label) {
    if (label != 1.0 && label != -1.0) {
      throw new IllegalArgumentException("max-margin label must be 1 or -1, got " + label);
    }
    return score.mul(-label).add(1.0).relu();
  }

  /**
   * Returns micrograd's SVM max-margin loss {@code relu(1 - y·score)} with the label a value, so a
   * compiled graph can take it as an input; it is meant for labels of ±1 and does not check them.
   */
  public static Value svmMaxMargin(Value score, Value label) {
    return score.mul(label.neg()).add(1.0).relu();
  }

  /**
   * Returns binary cross-entropy on a logit, {@code softplus(z) - y·z}, for a label in [0, 1]; it
   * stays finite for logits of any finite size.
   *
   * @throws IllegalArgumentException if {@code label} is outside [0, 1]
   */
  public static Value binaryCrossEntropyWithLogits(Value logit, double label) {
    if (!(label >= 0.0 && label <= 1.0)) {
      throw new IllegalArgumentException("cross-entropy label must be in [0, 1], got " + label);
    }
    return logit.softplus().sub(logit.mul(label));
  }

  /**
   * Returns binary cross-entropy on a logit, {@code softplus(z) - y·z}, with the label a value, so
   * a compiled graph can take it as an input; it is meant for labels in [0, 1] and does not check
   * them.
   */
  public static Value binaryCrossEntropyWithLogits(Value logit, Value label) {
    return logit.softplus().sub(logit.mul(label));
  }

  /**
   * Returns the L2 penalty {@code alpha · Σ p²}, micrograd's regularisation term; an optimiser's
   * coupled weight decay {@code λ = 2·alpha} adds the same gradient without the graph.
   */
  public static Value l2(List<Value> parameters, double alpha) {
    List<Value> squares = new ArrayList<>(parameters.size());
    for (Value p : parameters) {
      squares.add(p.mul(p));
    }
    return Value.sum(squares).mul(alpha);
  }
}
