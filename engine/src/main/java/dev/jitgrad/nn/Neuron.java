package dev.jitgrad.nn;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.internal.Elements;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.random.RandomGenerator;

/** One neuron: {@code b + Σ wᵢxᵢ}, through ReLU unless it is linear. */
public final class Neuron implements Parameterized {
  private final List<Value> weights;
  private final Value bias;
  private final boolean relu;

  /**
   * Creates a neuron of {@code inputs} weights drawn uniformly from [-1, 1] and a bias of 0.
   *
   * @throws IllegalArgumentException if {@code inputs} is not positive
   */
  public Neuron(int inputs, boolean relu, RandomGenerator random) {
    this(inputs, relu, random, 1.0);
  }

  /** Creates a neuron of {@code inputs} weights drawn uniformly from [-bound, bound]. */
  Neuron(int inputs, boolean relu, RandomGenerator random, double bound) {
    if (inputs <= 0) {
      throw new IllegalArgumentException("a neuron needs at least 1 input, got " + inputs);
    }
    List<Value> w = new ArrayList<>(inputs);
    for (int i = 0; i < inputs; i++) {
      w.add(Value.of(random.nextDouble(-bound, bound)));
    }
    this.weights = Collections.unmodifiableList(w);
    this.bias = Value.of(0.0);
    this.relu = relu;
  }

  /**
   * Returns this neuron's output for {@code x}: one sum node over the bias and the products.
   *
   * @throws IllegalArgumentException if {@code x} does not have one value per weight
   */
  public Value apply(List<Value> x) {
    if (x.size() != weights.size()) {
      throw new IllegalArgumentException(
          "neuron expects " + weights.size() + " inputs, got " + x.size());
    }
    List<Value> terms = new ArrayList<>(x.size() + 1);
    terms.add(bias);
    for (int i = 0; i < x.size(); i++) {
      Value xi = Elements.nonNull(x.get(i), "x", i);
      terms.add(weights.get(i).mul(xi));
    }
    Value act = Value.sum(terms);
    return relu ? act.relu() : act;
  }

  /** Returns the weights then the bias. */
  @Override
  public List<Value> parameters() {
    List<Value> p = new ArrayList<>(weights);
    p.add(bias);
    return p;
  }

  /** Returns {@code ReLUNeuron(n)} or {@code LinearNeuron(n)}, as micrograd prints it. */
  @Override
  public String toString() {
    return (relu ? "ReLU" : "Linear") + "Neuron(" + weights.size() + ")";
  }
}
