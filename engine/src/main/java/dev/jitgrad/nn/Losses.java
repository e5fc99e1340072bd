package dev.jitgrad.nn;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.internal.Elements;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

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
   * Returns {@code log Σ exp(zᵢ)}, computed stably as {@code m + log Σ exp(zᵢ - m)} with {@code m}
   * the largest logit (a chain of {@link Value#max}), so it stays finite and accurate for logits of
   * any finite size; its gradient is the softmax.
   *
   * @throws IllegalArgumentException if {@code logits} is empty
   * @throws NullPointerException if {@code logits} or one of its elements is null
   */
  public static Value logSumExp(List<Value> logits) {
    Value m = max(logits);
    return m.add(Value.sum(shiftedExps(logits, m)).log());
  }

  /**
   * Returns the softmax cross-entropy {@code logSumExp(z) - z[label]} of logits for the class
   * {@code label}; its gradient is the softmax minus the one-hot label.
   *
   * @throws IllegalArgumentException if {@code logits} is empty or {@code label} is not in {@code
   *     [0, logits.size())}
   * @throws NullPointerException if {@code logits} or one of its elements is null
   */
  public static Value softmaxCrossEntropy(List<Value> logits, int label) {
    Value lse = logSumExp(logits);
    if (label < 0 || label >= logits.size()) {
      throw new IllegalArgumentException(
          "label must be in [0, "
              + logits.size()
              + ") for "
              + logits.size()
              + " logits, got "
              + label);
    }
    return lse.sub(logits.get(label));
  }

  /**
   * Returns the softmax cross-entropy {@code Σ yᵢ·(logSumExp(z) - zᵢ)} against target probabilities
   * {@code y} (a one-hot label, or any distribution) as values, so a compiled graph can take the
   * label as an input; it does not check that {@code y} sums to 1.
   *
   * @throws IllegalArgumentException if {@code logits} is empty or the sizes differ
   * @throws NullPointerException if a list or one of its elements is null
   */
  public static Value softmaxCrossEntropy(List<Value> logits, List<Value> oneHot) {
    Objects.requireNonNull(logits, "logits");
    if (logits.size() != Objects.requireNonNull(oneHot, "oneHot").size()) {
      throw new IllegalArgumentException(
          logits.size() + " logits but " + oneHot.size() + " one-hot label values");
    }
    Value lse = logSumExp(logits);
    List<Value> terms = new ArrayList<>(logits.size());
    for (int i = 0; i < logits.size(); i++) {
      terms.add(Elements.nonNull(oneHot.get(i), "oneHot", i).mul(lse.sub(logits.get(i))));
    }
    return Value.sum(terms);
  }

  /**
   * Returns the softmax {@code exp(zᵢ - m) / Σ exp(zⱼ - m)} of logits, {@code m} the largest, so no
   * exponential overflows.
   *
   * @throws IllegalArgumentException if {@code logits} is empty
   * @throws NullPointerException if {@code logits} or one of its elements is null
   */
  public static List<Value> softmax(List<Value> logits) {
    List<Value> exps = shiftedExps(logits, max(logits));
    Value total = Value.sum(exps);
    List<Value> probabilities = new ArrayList<>(exps.size());
    for (Value e : exps) {
      probabilities.add(e.div(total));
    }
    return probabilities;
  }

  /** Returns the largest logit as a left-to-right chain of max. */
  private static Value max(List<Value> logits) {
    if (Objects.requireNonNull(logits, "logits").isEmpty()) {
      throw new IllegalArgumentException("logits must not be empty");
    }
    Value m = Objects.requireNonNull(logits.get(0), "logits[0] is null");
    for (int i = 1; i < logits.size(); i++) {
      m = m.max(Elements.nonNull(logits.get(i), "logits", i));
    }
    return m;
  }

  /** Returns {@code exp(zᵢ - m)} for every logit. */
  private static List<Value> shiftedExps(List<Value> logits, Value m) {
    List<Value> exps = new ArrayList<>(logits.size());
    for (Value z : logits) {
      exps.add(z.sub(m).exp());
    }
    return exps;
  }

  /**
   * Returns the L2 penalty {@code alpha · Σ p²}, micrograd's regularisation term; an optimiser's
   * coupled weight decay {@code λ = 2·alpha} adds the same gradient without the graph.
   *
   * @throws IllegalArgumentException if {@code alpha} is negative or not finite, as the weight
   *     decay is
   */
  public static Value l2(List<Value> parameters, double alpha) {
    GradientRules.finiteAtLeastZero(alpha, "alpha");
    List<Value> squares = new ArrayList<>(parameters.size());
    for (Value p : parameters) {
      squares.add(p.mul(p));
    }
    return Value.sum(squares).mul(alpha);
  }
}
