package dev.jitgrad.nn;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/** A layer of neurons that all see the same inputs. */
public final class Layer implements Parameterized {
  private final List<Neuron> neurons;

  /**
   * Creates {@code outputs} neurons of {@code inputs} inputs each.
   *
   * @throws IllegalArgumentException if a size is not positive
   */
  public Layer(int inputs, int outputs, boolean relu, RandomGenerator random) {
    this(inputs, outputs, relu, random, Init.UNIFORM);
  }

  /**
   * Creates {@code outputs} neurons of {@code inputs} inputs each, with weights drawn as {@code
   * init} says.
   *
   * @throws IllegalArgumentException if a size is not positive
   * @throws NullPointerException if {@code random} or {@code init} is null
   */
  public Layer(int inputs, int outputs, boolean relu, RandomGenerator random, Init init) {
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(init, "init");
    if (outputs <= 0) {
      throw new IllegalArgumentException("a layer needs at least 1 neuron, got " + outputs);
    }
    if (inputs <= 0) { // before the list of outputs neurons is made
      throw new IllegalArgumentException("a neuron needs at least 1 input, got " + inputs);
    }
    List<Neuron> n = new ArrayList<>(outputs);
    for (int i = 0; i < outputs; i++) {
      n.add(new Neuron(inputs, relu, random, init.bound(inputs, outputs)));
    }
    this.neurons = List.copyOf(n);
  }

  /** Returns one output per neuron. */
  public List<Value> apply(List<Value> x) {
    List<Value> out = new ArrayList<>(neurons.size());
    for (Neuron n : neurons) {
      out.add(n.apply(x));
    }
    return out;
  }

  /** Returns each neuron's parameters, neuron by neuron. */
  @Override
  public List<Value> parameters() {
    List<Value> p = new ArrayList<>();
    for (Neuron n : neurons) {
      p.addAll(n.parameters());
    }
    return p;
  }

  /** Returns {@code Layer of [ReLUNeuron(2), ...]}, as micrograd prints it. */
  @Override
  public String toString() {
    return "Layer of " + neurons;
  }
}
