package dev.jitgrad.examples;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Jit;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Sgd;
import java.util.Arrays;
import java.util.List;

/**
 * Trains with bytecode: one sample's loss is compiled once, then run over the batch at every step.
 *
 * <p>micrograd's batch loss is {@code (1/n)·Σᵢ relu(1 - yᵢ·score(xᵢ)) + α·Σp²}. Only the sum
 * depends on the samples, so the compiled graph is one sample's {@code relu(1 - y·score(x))} with
 * inputs {@code [x0, x1, y]}; {@code valueAndGradBatch} returns the sum over the rows and adds up
 * their gradients. The rest is done here on the arrays, once per step rather than per sample: scale
 * loss and gradient by {@code 1/n}, then add the penalty {@code α·Σp²} and its gradient {@code
 * 2α·p}. A second compiled graph, the score alone, gives the accuracy.
 */
final class CompiledEngine implements Engine {
  private final Moons data;
  private final CompiledGraph loss;
  private final CompiledGraph score;
  private final double[] rows;
  private final double[] params;
  private final double[] grad;
  private final double[] point = new double[2];
  private final Sgd sgd = new Sgd(1.0);

  CompiledEngine(Network network, Moons data) {
    this.data = data;
    this.loss =
        Jit.compile(
            network.sampleLoss, List.of(network.x0, network.x1, network.y), network.parameters);
    this.score = Jit.compile(network.score, List.of(network.x0, network.x1), network.parameters);
    this.rows = new double[3 * data.size()];
    for (int i = 0; i < data.size(); i++) {
      rows[3 * i] = data.x0(i);
      rows[3 * i + 1] = data.x1(i);
      rows[3 * i + 2] = data.label(i);
    }
    this.params = Values.data(network.parameters);
    this.grad = new double[params.length];
  }

  @Override
  public Step step(double learningRate) {
    int n = data.size();
    double accuracy = accuracy();
    Arrays.fill(grad, 0);
    double dataLoss = loss.valueAndGradBatch(rows, n, params, grad) * (1.0 / n);
    double squares = 0;
    for (int i = 0; i < params.length; i++) {
      squares += params[i] * params[i];
      grad[i] = grad[i] * (1.0 / n) + 2 * Settings.ALPHA * params[i];
    }

    sgd.setLearningRate(learningRate);
    sgd.step(params, grad);
    return new Step(dataLoss + Settings.ALPHA * squares, accuracy);
  }

  @Override
  public double accuracy() {
    return Engine.accuracy(this, data);
  }

  @Override
  public double score(double x0, double x1) {
    point[0] = x0;
    point[1] = x1;
    return score.forward(point, params);
  }

  @Override
  public double[] parameters() {
    return params.clone();
  }
}
