package dev.jitgrad.examples;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.MLP;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The moons model and the graph of one sample through it: inputs {@code x0, x1} and label {@code y}
 * are leaves, so the same graph serves every sample, the compiler and graph export.
 */
final class Network {
  final MLP mlp;
  final List<Value> parameters;
  final Value x0 = Value.of(0, "x0");
  final Value x1 = Value.of(0, "x1");
  final Value y = Value.of(0, "y");

  /** The model's output for {@code (x0, x1)}; its sign is the predicted label. */
  final Value score;

  /** The max-margin loss {@code relu(1 - y·score)} of the one sample, without the L2 penalty. */
  final Value sampleLoss;

  Network(RandomGenerator random, int[] layerSizes) {
    this.mlp = new MLP(random, 2, layerSizes);
    this.parameters = mlp.parameters();
    this.score = mlp.apply(List.of(x0, x1)).get(0);
    this.sampleLoss = score.mul(y).neg().add(1).relu();
  }

  /** Returns the score of {@code (a, b)} with the current parameters, through the interpreter. */
  double score(double a, double b) {
    x0.setData(a);
    x1.setData(b);
    return score.forward();
  }

  /** Sets the parameters from {@code values}, in {@link MLP#parameters()} order. */
  void setParameters(double[] values) {
    Values.setData(parameters, values);
  }
}
