package dev.jitgrad.examples;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Jit;
import dev.jitgrad.codegen.Training;
import dev.jitgrad.nn.Dataset;
import java.util.List;

/**
 * Trains with bytecode through {@link Training}: one sample's loss is compiled once, with the label
 * as a graph input, and every step runs it over the whole batch.
 */
final class CompiledEngine {
  private CompiledEngine() {}

  /** Trains {@code network} on {@code data} for {@code settings.steps()} full-batch steps. */
  static Trainer.Run train(Network network, Dataset data, Settings settings, Progress progress) {
    Stopwatch clock = new Stopwatch(Training.GradientSource.local());
    Training.History history =
        Training.of(network.mlp, (out, y) -> Network.loss(out.get(0), y.get(0)))
            .data(data)
            .metric(Training.Metric.signAccuracy())
            .optimizer(Trainer.optimizer(settings))
            .epochs(settings.steps())
            .gradients(clock)
            .listener(Trainer.listener(progress))
            .run();
    TrainingResult result =
        TrainingResult.of(EngineKind.COMPILED, network.mlp, history, settings.steps(), clock);

    CompiledGraph score =
        Jit.compile(network.score, List.of(network.x0, network.x1), network.parameters);
    double[] params = result.parameters();
    double[] point = new double[2];
    return new Trainer.Run(
        (x0, x1) -> {
          point[0] = x0;
          point[1] = x1;
          return score.forward(point, params);
        },
        result);
  }
}
