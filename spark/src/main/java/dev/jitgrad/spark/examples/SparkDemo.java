package dev.jitgrad.spark.examples;

import dev.jitgrad.codegen.Training;
import dev.jitgrad.nn.Dataset;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.MLP;
import dev.jitgrad.nn.Sgd;
import dev.jitgrad.spark.SparkGradients;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Trains micrograd's moons model (the {@code jitgrad} command's default run: 100 points, an MLP
 * 2-16-16-1, max-margin loss, 100 full-batch SGD steps from rate 1 down to 0.1) twice, once with
 * Spark computing every step's gradient and once in this JVM, and prints both accuracies.
 */
public final class SparkDemo {
  private static final long SEED = 1337;
  private static final int SAMPLES = 100;
  private static final int STEPS = 100;
  private static final double NOISE = 0.1;
  private static final double ALPHA = 1e-4;

  private SparkDemo() {}

  /**
   * Runs the demo on the master that {@code spark-submit} or {@code -Dspark.master} gives, else on
   * {@code local[*]}; the one optional argument is the number of partitions per step (Spark's
   * default parallelism if absent). A failure prints one line on stderr and exits with status 1.
   */
  public static void main(String[] args) {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty(
          "log4j2.configurationFile", "classpath:dev/jitgrad/spark/examples/log4j2.properties");
    }
    try {
      if (args.length > 1) {
        throw new IllegalArgumentException("usage: [partitions], got " + String.join(" ", args));
      }
      SparkConf conf =
          new SparkConf().setAppName("jitgrad moons").setIfMissing("spark.master", "local[*]");
      conf.setIfMissing("spark.ui.enabled", "false");
      SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
      try {
        JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int partitions = args.length == 1 ? parsePartitions(args[0]) : context.defaultParallelism();
        Training.History onSpark = moons(SparkGradients.source(context, partitions));
        Training.History local = moons(Training.GradientSource.local());
        System.out.println(
            line(
                "moons on Spark (" + context.master() + ", " + partitions + " partitions)",
                onSpark));
        System.out.println(line("moons on one machine", local));
      } finally {
        spark.stop();
      }
    } catch (RuntimeException e) {
      System.err.println("jitgrad-spark: " + e.getMessage());
      System.exit(1);
    }
  }

  /** Trains a fresh moons model with {@code gradients} and returns its history. */
  static Training.History moons(Training.GradientSource gradients) {
    MLP model = new MLP(new SplittableRandom(SEED).split(), 2, 16, 16, 1);
    return Training.of(model, (out, y) -> Losses.svmMaxMargin(out.get(0), y.get(0)))
        .data(Dataset.moons(SAMPLES, NOISE, SEED))
        .metric(Training.Metric.signAccuracy())
        .optimizer(new Sgd(1.0).weightDecay(2 * ALPHA).withLinearDecay(0.1, STEPS))
        .epochs(STEPS)
        .gradients(gradients)
        .run();
  }

  private static int parsePartitions(String text) {
    try {
      int partitions = Integer.parseInt(text);
      if (partitions > 0) {
        return partitions;
      }
    } catch (NumberFormatException e) {
      // Reported below, with the text.
    }
    throw new IllegalArgumentException("partitions must be a positive integer, got '" + text + "'");
  }

  private static String line(String what, Training.History history) {
    return String.format(
        Locale.ROOT,
        "%s: accuracy %.0f%%, loss %.4g",
        what,
        100 * history.metric()[history.epochs() - 1],
        history.loss()[history.epochs() - 1]);
  }
}
