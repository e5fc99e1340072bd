package dev.jitgrad.nn;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A multi-layer perceptron: ReLU hidden layers and a linear last layer, as in micrograd.
 *
 * <p>{@code new MLP(2, 16, 16, 1)} takes 2 inputs through layers of 16, 16 and 1 neurons.
 */
public final class MLP implements Model {
  /** The seed of the generator used when none is given, so default models are reproducible. */
  public static final long DEFAULT_SEED = 1337;

  private final int inputs;
  private final int outputs;
  private final List<Layer> layers;

  /**
   * Creates an MLP with weights from a generator seeded with {@link #DEFAULT_SEED}.
   *
   * @throws IllegalArgumentException if a size is not positive or no layer is given
   */
  public MLP(int inputs, int... layerSizes) {
    this(new SplittableRandom(DEFAULT_SEED), inputs, layerSizes);
  }

  /**
   * Creates an MLP whose weights are drawn from {@code random}, uniformly in [-1, 1].
   *
   * @throws IllegalArgumentException if a size is not positive or no layer is given
   */
  public MLP(RandomGenerator random, int inputs, int... layerSizes) {
    this(random, Init.UNIFORM, inputs, layerSizes);
  }

  /**
   * Creates an MLP whose weights are drawn from {@code random} as {@code init} says ({@link
   * Init#UNIFORM} is micrograd's [-1, 1]; {@link Init#HE} suits the ReLU layers of a larger model).
   *
   * @throws IllegalArgumentException if a size is not positive or no layer is given
   * @throws NullPointerException if {@code random} or {@code init} is null
   */
  public MLP(RandomGenerator random, Init init, int inputs, int... layerSizes) {
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(init, "init");
    if (inputs <= 0) {
      throw new IllegalArgumentException("an MLP needs at least 1 input, got " + inputs);
    }
    if (layerSizes.length == 0) {
      throw new IllegalArgumentException("an MLP needs at least one layer size");
    }
    for (int i = 0; i < layerSizes.length; i++) { // every size before any layer is made
      if (layerSizes[i] <= 0) {
        throw new IllegalArgumentException(
            "layer " + i + " must have at least 1 neuron, got " + layerSizes[i]);
      }
    }
    List<Layer> l = new ArrayList<>(layerSizes.length);
    int fanIn = inputs;
    for (int i = 0; i < layerSizes.length; i++) {
      l.add(new Layer(fanIn, layerSizes[i], i < layerSizes.length - 1, random, init));
      fanIn = layerSizes[i];
    }
    this.inputs = inputs;
    this.outputs = layerSizes[layerSizes.length - 1];
    this.layers = List.copyOf(l);
  }

  /**
   * Returns the outputs of the last layer for inputs {@code x}.
   *
   * @throws IllegalArgumentException if {@code x} does not have {@link #inputCount()} values
   */
  @Override
  public List<Value> apply(List<Value> x) {
    if (x.size() != inputs) {
      throw new IllegalArgumentException("MLP expects " + inputs + " inputs, got " + x.size());
    }
    for (Layer layer : layers) {
      x = layer.apply(x);
    }
    return x;
  }

  /** Returns the number of inputs the MLP expects. */
  @Override
  public int inputCount() {
    return inputs;
  }

  /** Returns the number of outputs, the size of the last layer. */
  @Override
  public int outputCount() {
    return outputs;
  }

  /** Returns the parameters layer by layer, neuron by neuron, weights before bias. */
  @Override
  public List<Value> parameters() {
    List<Value> p = new ArrayList<>();
    for (Layer layer : layers) {
      p.addAll(layer.parameters());
    }
    return p;
  }

  /** Returns {@code MLP of [Layer of [...], ...]}, as micrograd prints it. */
  @Override
  public String toString() {
    return "MLP of " + layers;
  }
}
