package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Dataset;
import dev.jitgrad.nn.Losses;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TrainerTest {
  private static final Progress SILENT = Progress.SILENT;

  @ParameterizedTest
  @ValueSource(longs = {Settings.DEFAULT_SEED, 1, 2})
  void train_compiledDemoSettings_reachesAtLeast95Percent(long seed) {
    TrainingResult result = Trainer.train(EngineKind.COMPILED, Settings.demo(seed), SILENT);

    assertTrue(result.accuracy() >= 0.95, "accuracy " + result.accuracy());
    assertEquals(100, result.steps());
  }

  @Test
  void train_bothEnginesSameSeed_sameParametersWithinTolerance() {
    Settings settings = Settings.demo(Settings.DEFAULT_SEED);

    TrainingResult compiled = Trainer.train(EngineKind.COMPILED, settings, SILENT);
    TrainingResult interpreted = Trainer.train(EngineKind.INTERPRETER, settings, SILENT);

    assertEquals(compiled.parameters().length, interpreted.parameters().length);
    for (int i = 0; i < compiled.parameters().length; i++) {
      double a = compiled.parameters()[i];
      double b = interpreted.parameters()[i];
      double tolerance = 1e-9 * Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
      assertEquals(a, b, tolerance, "parameter " + i);
    }
    assertEquals(1.0, compiled.accuracy());
    assertEquals(1.0, interpreted.accuracy());
  }

  @Test
  void train_oneStep_lossIsMeanMarginLossAtInitialWeights() {
    Settings settings = new Settings(3, 10, new int[] {4}, 1);
    Dataset data = Trainer.data(settings);
    Network network = Trainer.network(settings);
    double expected = 0;
    for (int i = 0; i < data.size(); i++) {
      double[] x = data.features()[i];
      double score = network.score(x[0], x[1]);
      expected += Math.max(0, 1 - data.labels()[i][0] * score) / data.size();
    }

    TrainingResult compiled = Trainer.train(EngineKind.COMPILED, settings, SILENT);
    TrainingResult interpreted = Trainer.train(EngineKind.INTERPRETER, settings, SILENT);

    assertEquals(expected, compiled.losses()[0], 1e-12);
    assertEquals(expected, interpreted.losses()[0], 1e-12);
  }

  @Test
  void train_oneStep_parametersMoveByMicrogradsSgdStepWithTheL2Penalty() {
    Settings settings = new Settings(3, 10, new int[] {4}, 1);
    Dataset data = Trainer.data(settings);
    Network network = Trainer.network(settings);
    List<Value> losses = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      double[] x = data.features()[i];
      Value score = network.mlp.apply(List.of(Value.of(x[0]), Value.of(x[1]))).get(0);
      losses.add(score.mul(-data.labels()[i][0]).add(1).relu());
    }
    Value microgradLoss =
        Value.sum(losses).div(data.size()).add(Losses.l2(network.parameters, Settings.ALPHA));
    microgradLoss.backward();
    double[] expected = new double[network.parameters.size()];
    for (int i = 0; i < expected.length; i++) {
      Value p = network.parameters.get(i);
      expected[i] = p.data() - 1.0 * p.grad();
    }

    TrainingResult compiled = Trainer.train(EngineKind.COMPILED, settings, SILENT);
    TrainingResult interpreted = Trainer.train(EngineKind.INTERPRETER, settings, SILENT);

    assertArrayEquals(expected, compiled.parameters(), 1e-12);
    assertArrayEquals(expected, interpreted.parameters(), 1e-12);
  }
}
