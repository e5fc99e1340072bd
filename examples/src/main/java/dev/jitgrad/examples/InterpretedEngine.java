package dev.jitgrad.examples;

import dev.jitgrad.codegen.Training;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Dataset;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.Optimizer;
import java.util.ArrayList;
import java.util.List;

/** Trains like micrograd: a fresh {@code Value} graph of the whole batch's loss at every step. */
final class InterpretedEngine {
  private InterpretedEngine() {}

  /** Trains {@code network} on {@code data} for {@code settings.steps()} full-batch steps. */
  static Trainer.Run train(Network network, Dataset data, Settings settings, Progress progress) {
    long start = System.nanoTime();
    Optimizer optimizer = Trainer.optimizer(settings);
    Training.Metric metric = Training.Metric.signAccuracy();
    double[] score = new double[1];
    int n = data.size();
    int steps = settings.steps();
    double[] losses = new double[steps];
    double[] accuracies = new double[steps];
    for (int k = 0; k < steps; k++) {
      List<Value> sampleLosses = new ArrayList<>(n);
      double correct = 0;
      for (int i = 0; i < n; i++) {
        double[] x = data.features()[i];
        Value out = network.mlp.apply(List.of(Value.of(x[0]), Value.of(x[1]))).get(0);
        sampleLosses.add(Network.loss(out, Value.of(data.labels()[i][0])));
        score[0] = out.data();
        correct += metric.score(score, data.labels()[i]);
      }
      Value loss = Losses.mean(sampleLosses);

      network.mlp.zeroGrad();
      loss.backward();
      optimizer.step(network.parameters);
      losses[k] = loss.data();
      double accuracy = correct / n;
      // The accuracy at the weights step k starts from is the accuracy after step k - 1.
      if (k > 0) {
        accuracies[k - 1] = accuracy;
      }
      progress.update(k + 1, () -> Trainer.message(loss.data(), accuracy));
    }
    double correct = 0;
    for (int i = 0; i < n; i++) {
      double[] x = data.features()[i];
      score[0] = network.score(x[0], x[1]);
      correct += metric.score(score, data.labels()[i]);
    }
    accuracies[steps - 1] = correct / n;
    double seconds = (System.nanoTime() - start) * 1e-9;
    return new Trainer.Run(
        network::score,
        new TrainingResult(
            EngineKind.INTERPRETER,
            Values.data(network.parameters),
            losses,
            accuracies,
            Double.NaN,
            steps,
            0.0,
            seconds));
  }
}
