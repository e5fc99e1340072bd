package dev.jitgrad.spark;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Training;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Gradients of a {@link CompiledGraph} summed over the rows of a Spark RDD.
 *
 * <p>Each job ships the graph once, as a broadcast (a {@code CompiledGraph} serializes as its saved
 * form, and each executor generates its code again), packs each partition's rows into one row-major
 * array and runs {@link CompiledGraph#valueAndGradBatch} over it; the driver adds the partitions'
 * sums and gradients in partition order, whatever order they arrive in. So for a given
 * partitioning, JDK and CPU kind the result is the same to the bit run after run, and it equals
 * {@code valueAndGradBatch} over the same rows in one JVM up to rounding: within 1e-12 relative to
 * the sum of the rows' absolute gradients.
 */
public final class SparkGradients {
  private SparkGradients() {}

  /**
   * Returns the sum of output 0 over {@code rows} (0 for no rows) and adds its summed gradient with
   * respect to the params into {@code paramGrad}; each row holds {@code graph.inputCount()} values.
   * A job that fails for another reason throws Spark's {@code SparkException}, and {@code
   * paramGrad} is left untouched by any failure.
   *
   * @throws IllegalArgumentException on the driver, with the message {@code valueAndGradBatch}
   *     gives, if {@code params} or {@code paramGrad} has the wrong length (before any job runs),
   *     or if a row has the wrong length or is null (the message names its partition and row)
   * @throws NullPointerException if an argument is null
   */
  public static double valueAndGrad(
      JavaRDD<double[]> rows, CompiledGraph graph, double[] params, double[] paramGrad) {
    Objects.requireNonNull(rows, "rows");
    checkArguments(graph, params, paramGrad);
    Broadcast<CompiledGraph> shipped =
        JavaSparkContext.fromSparkContext(rows.context()).broadcast(graph);
    try {
      return PartitionGradients.sum(rows, shipped, graph.inputCount(), params, paramGrad);
    } finally {
      shipped.destroy();
    }
  }

  /**
   * Returns the rows of {@code frame} as arrays of the named numeric columns' values, in the order
   * given: the rows for {@link #valueAndGrad}. Columns of type double, float, int and long are read
   * (a long beyond 2<sup>53</sup> rounds to the nearest double); a null fails the job that reads it
   * with an {@link IllegalArgumentException} naming the column.
   *
   * @throws IllegalArgumentException if no column is named, a name is not a column of {@code
   *     frame}, or a column is not of one of those types
   * @throws NullPointerException if an argument is null
   */
  public static JavaRDD<double[]> rows(Dataset<Row> frame, String... columns) {
    return Columns.of(frame, List.of(columns)).read(frame);
  }

  /**
   * Returns a gradient source for {@link Training#gradients} that computes each step's gradient on
   * Spark: the step's rows are split into {@code partitions} slices of consecutive rows, and the
   * graph is broadcast once per training run.
   *
   * @throws IllegalArgumentException if {@code partitions} is not positive
   * @throws NullPointerException if {@code context} is null
   */
  public static Training.GradientSource source(JavaSparkContext context, int partitions) {
    Objects.requireNonNull(context, "context");
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions must be positive, got " + partitions);
    }
    return new SparkSource(context, partitions);
  }

  /**
   * Checks the arguments as {@code valueAndGradBatch} does, with its messages, by calling it on no
   * rows: nothing is computed or added.
   */
  static void checkArguments(CompiledGraph graph, double[] params, double[] paramGrad) {
    Objects.requireNonNull(graph, "graph");
    graph.valueAndGradBatch(new double[0], 0, params, paramGrad);
  }
}
