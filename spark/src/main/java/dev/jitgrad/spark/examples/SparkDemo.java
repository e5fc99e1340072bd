package dev.jitgrad.spark.examples;

import dev.jitgrad.codegen.Training;
import dev.jitgrad.examples.DigitsTraining;
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
 * 2-16-16-1, max-margin loss, 100 full-batch SGD steps from rate 1 down to 0.1) and the digits
 * model (the {@code jitgrad digits} command's default run, {@link DigitsTraining}) twice each, once
 * with Spark computing every step's gradient and once in this JVM, and prints the accuracies.
 */
public final class SparkDemo {
  private static final long SEED = 1337;
  private static final int SAMPLES = 100;
  private static final int STEPS = 100;
  private static final double NOISE = 0.1;
  private static final double ALPHA = 1e-4;

  private static final String USAGE = "usage: [moons|digits] [partitions]";

  private SparkDemo() {}

  /**
   * Runs the demo on the master that {@code spark-submit} or {@code -Dspark.master} gives, else on
   * {@code local[*]}; the optional arguments are the model, {@code moons} or {@code digits} (both
   * if absent), and the number of partitions per step (Spark's default parallelism if absent). A
   * failure prints one line on stderr and exits with status 1.
   */
  public static void main(String[] args) {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty(
          "log4j2.configurationFile", "classpath:dev/jitgrad/spark/examples/log4j2.properties");
    }
    try {
      if (args.length > 2) {
        throw new IllegalArgumentException(USAGE + ", got " + String.join(" ", args));
      }
      boolean named = args.length > 0 && (args[0].equals("moons") || args[0].equals("digits"));
      if (args.length == 2 && !named) {
        throw new IllegalArgumentException(
            USAGE + ", got '" + args[0] + "' where moons or digits goes");
      }
      String model = named ? args[0] : "both";
      String partitionsArg = args.length > (named ? 1 : 0) ? args[args.length - 1] : null;
      SparkConf conf =
          new SparkConf().setAppName("jitgrad " + model).setIfMissing("spark.master", "local[*]");
      conf.setIfMissing("spark.ui.enabled", "false");
      SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
      try {
        JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int partitions =
            partitionsArg != null ? parsePartitions(partitionsArg) : context.defaultParallelism();
        String where = " on Spark (" + context.master() + ", " + partitions + " partitions)";
        Training.GradientSource sparkGradients = SparkGradients.source(context, partitions);
        if (!model.equals("digits")) {
          System.out.println(line("moons" + where, moons(sparkGradients)));
          System.out.println(line("moons on one machine", moons(Training.GradientSource.local())));
        }
        if (!model.equals("moons")) {
          Training.History onSpark = DigitsTraining.train(DigitsTraining.EPOCHS, sparkGradients);
          Training.History local =
              DigitsTraining.train(DigitsTraining.EPOCHS, Training.GradientSource.local());
          System.out.println(line("digits" + where, onSpark));
          System.out.println(line("digits on one machine", local));
        }
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

  /** Returns the final accuracy and loss, and the held-out accuracy if there is held-out data. */
  private static String line(String what, Training.History history) {
    int last = history.epochs() - 1;
    double[] heldOut = history.heldOutMetric();
    String accuracy =
        heldOut.length == 0
            ? String.format(Locale.ROOT, "%.0f%%", 100 * history.metric(last))
            : String.format(
                Locale.ROOT,
                "%.1f%% (held-out %.1f%%)",
                100 * history.metric(last),
                100 * heldOut[last]);
    return String.format(
        Locale.ROOT, "%s: accuracy %s, loss %.4g", what, accuracy, history.loss(last));
  }
}
