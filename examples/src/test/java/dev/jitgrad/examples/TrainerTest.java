package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Values;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TrainerTest {
  private static final Trainer.Listener SILENT = (k, loss, accuracy) -> {};

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
  void train_oneStep_lossIsMeanMarginLossPlusPenaltyAtInitialWeights() {
    Settings settings = new Settings(3, 10, new int[] {4}, 1);
    Moons data = Trainer.data(settings);
    Network network = Trainer.network(settings);
    double expected = 0;
    for (int i = 0; i < data.size(); i++) {
      double score = network.score(data.x0(i), data.x1(i));
      expected += Math.max(0, 1 - data.label(i) * score) / data.size();
    }
    for (double p : Values.data(network.parameters)) {
      expected += Settings.ALPHA * p * p;
    }

    TrainingResult compiled = Trainer.train(EngineKind.COMPILED, settings, SILENT);
    TrainingResult interpreted = Trainer.train(EngineKind.INTERPRETER, settings, SILENT);

    assertEquals(expected, compiled.losses()[0], 1e-12);
    assertEquals(expected, interpreted.losses()[0], 1e-12);
  }
}
