package dev.jitgrad.spark.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.codegen.Training;
import dev.jitgrad.examples.DigitsTraining;
import dev.jitgrad.spark.LocalSpark;
import dev.jitgrad.spark.SparkGradients;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SparkDemoTest {
  private static JavaSparkContext spark;

  @BeforeAll
  static void startSpark() {
    spark = LocalSpark.context();
  }

  @Test
  void run_moonsWithSparkGradients_reachesTheAccuracyOfLocalTraining() {
    Training.History local = SparkDemo.moons(Training.GradientSource.local());

    Training.History onSpark = SparkDemo.moons(SparkGradients.source(spark, 3));

    assertEquals(local.epochs(), onSpark.epochs());
    assertEquals(local.metric()[local.epochs() - 1], onSpark.metric()[onSpark.epochs() - 1]);
    assertArrayEquals(local.loss(), onSpark.loss(), 1e-9);
  }

  @Test
  void run_moonsWithOnePartition_repeatsLocalTrainingToTheBit() {
    Training.History local = SparkDemo.moons(Training.GradientSource.local());

    Training.History onSpark = SparkDemo.moons(SparkGradients.source(spark, 1));

    assertArrayEquals(local.loss(), onSpark.loss(), 0.0);
    assertArrayEquals(local.metric(), onSpark.metric(), 0.0);
  }

  @Test
  void run_digitsWithSparkGradients_reachesTheHeldOutAccuracyOfLocalTraining() {
    Training.History local = DigitsTraining.train(1, Training.GradientSource.local());

    Training.History onSpark = DigitsTraining.train(1, SparkGradients.source(spark, 3));

    assertArrayEquals(local.loss(), onSpark.loss(), 1e-9);
    assertArrayEquals(local.heldOutLoss(), onSpark.heldOutLoss(), 1e-9);
    assertArrayEquals(local.heldOutMetric(), onSpark.heldOutMetric(), 0.0);
    assertTrue(local.heldOutMetric()[0] > 0.5, "held-out accuracy " + local.heldOutMetric()[0]);
  }

  @Test
  void source_nonPositivePartitions_throwsNamingTheValue() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SparkGradients.source(spark, 0));

    assertEquals("partitions must be positive, got 0", e.getMessage());
  }
}
