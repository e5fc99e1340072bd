package dev.jitgrad.examples;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.Sgd;
import java.util.ArrayList;
import java.util.List;

/** Trains like micrograd: a fresh {@code Value} graph of the whole batch's loss at every step. */
final class InterpretedEngine implements Engine {
  private final Network network;
  private final Moons data;
  private final Sgd sgd = new Sgd(1.0);

  InterpretedEngine(Network network, Moons data) {
    this.network = network;
    this.data = data;
  }

  @Override
  public Step step(double learningRate) {
    List<Value> losses = new ArrayList<>(data.size());
    int correct = 0;
    for (int i = 0; i < data.size(); i++) {
      List<Value> x = List.of(Value.of(data.x0(i)), Value.of(data.x1(i)));
      Value score = network.mlp.apply(x).get(0);
      losses.add(Losses.svmMaxMargin(score, data.label(i)));
      correct += Engine.correct(score.data(), data.label(i));
    }
    Value loss = Losses.mean(losses).add(Losses.l2(network.parameters, Settings.ALPHA));

    network.mlp.zeroGrad();
    loss.backward();
    sgd.setLearningRate(learningRate);
    sgd.step(network.parameters);
    return new Step(loss.data(), (double) correct / data.size());
  }

  @Override
  public double accuracy() {
    return Engine.accuracy(this, data);
  }

  @Override
  public double score(double x0, double x1) {
    return network.score(x0, x1);
  }

  @Override
  public double[] parameters() {
    return Values.data(network.parameters);
  }
}
