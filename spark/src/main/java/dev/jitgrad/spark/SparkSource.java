package dev.jitgrad.spark;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Training;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * {@link Training}'s gradient source on Spark: each step's rows become an RDD of {@code partitions}
 * slices of consecutive rows; the graph is broadcast once for as long as it is the same graph (a
 * training run's), not once per step.
 */
final class SparkSource implements Training.GradientSource {
  private final JavaSparkContext context;
  private final int partitions;
  private CompiledGraph graph;
  private Broadcast<CompiledGraph> shipped;

  SparkSource(JavaSparkContext context, int partitions) {
    this.context = context;
    this.partitions = partitions;
  }

  @Override
  public double valueAndGrad(
      CompiledGraph graph, double[] inputRows, int rows, double[] params, double[] paramGrad) {
    SparkGradients.checkArguments(graph, params, paramGrad);
    Objects.requireNonNull(inputRows, "inputRows");
    int width = graph.inputCount();
    if (rows < 0 || (long) rows * width > inputRows.length) {
      throw new IllegalArgumentException(
          "rows must be in [0, "
              + (width == 0 ? "any" : inputRows.length / width)
              + "] for inputRows of length "
              + inputRows.length
              + ", got "
              + rows);
    }
    List<double[]> list = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      list.add(Arrays.copyOfRange(inputRows, r * width, (r + 1) * width));
    }
    return PartitionGradients.sum(
        context.parallelize(list, partitions), broadcast(graph), width, params, paramGrad);
  }

  /** Returns the broadcast of {@code g}, shipping it (and dropping the previous graph's) if new. */
  private synchronized Broadcast<CompiledGraph> broadcast(CompiledGraph g) {
    if (g != graph) {
      if (shipped != null) {
        shipped.destroy();
      }
      shipped = context.broadcast(g);
      graph = g;
    }
    return shipped;
  }
}
