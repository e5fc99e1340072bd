package dev.jitgrad.examples;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Losses;
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

  /** The loss of the one sample, {@link #loss}{@code (score, y)}. */
  final Value sampleLoss;

  Network(RandomGenerator random, int[] layerSizes) {
    this.mlp = new MLP(random, 2, layerSizes);
    this.parameters = mlp.parameters();
    this.score = mlp.apply(List.of(x0, x1)).get(0);
    this.sampleLoss = loss(score, y);
  }

  /**
   * Returns one sample's loss, micrograd's max-margin {@code relu(1 - y·score)}: both engines and
   * the graph export use it; the L2 penalty is the optimiser's weight decay.
   */
  static Value loss(Value score, Value label) {
    return Losses.svmMaxMargin(score, label);
  }

  /** Returns the score of {@code (a, b)} with the current parameters, through the interpreter. */
  double score(double a, double b) {
    x0.setData(a);
    x1.setData(b);
    return score.forward();
  }
}
