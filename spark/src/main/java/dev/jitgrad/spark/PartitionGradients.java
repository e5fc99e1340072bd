package dev.jitgrad.spark;

import dev.jitgrad.codegen.CompiledGraph;
import java.io.Serializable;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;

/**
 * One job of {@link SparkGradients}: each partition packs its rows and runs {@code
 * valueAndGradBatch}; the driver adds the partitions' results in partition order.
 */
final class PartitionGradients {
  /** The most values one Java array holds on common JVMs. */
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  private PartitionGradients() {}

  /** One partition's row count, sum of output 0 and summed gradient. */
  record Partial(int partition, int rows, double sum, double[] grad) implements Serializable {}

  /**
   * Returns the sum of output 0 over {@code rows} and adds the summed gradient into {@code
   * paramGrad}, which the job leaves untouched if it fails.
   */
  static double sum(
      JavaRDD<double[]> rows,
      Broadcast<CompiledGraph> graph,
      int width,
      double[] params,
      double[] paramGrad) {
    List<Partial> partials;
    try {
      partials = rows.mapPartitionsWithIndex(new Task(graph, width, params), false).collect();
    } catch (Exception e) {
      throw unwrap(e);
    }
    Partial[] ordered = partials.toArray(new Partial[0]);
    java.util.Arrays.sort(ordered, Comparator.comparingInt(Partial::partition));
    double sum = 0;
    for (Partial p : ordered) {
      sum += p.sum();
      for (int i = 0; i < paramGrad.length; i++) {
        paramGrad[i] += p.grad()[i];
      }
    }
    return sum;
  }

  /**
   * Returns the {@link IllegalArgumentException} a task threw (a bad row, a null value), raised
   * again on the driver with the same message and the Spark failure as its cause, or {@code e}.
   */
  static RuntimeException unwrap(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException) {
        return new IllegalArgumentException(t.getMessage(), e);
      }
    }
    return PartitionGradients.<RuntimeException>rethrow(e);
  }

  /**
   * Throws {@code e}, checked or not (Scala declares none: a job throws {@code SparkException}).
   */
  @SuppressWarnings("unchecked")
  private static <E extends Exception> E rethrow(Exception e) throws E {
    throw (E) e;
  }

  /** Packs one partition's rows, checking each, and runs the graph over them. */
  private static final class Task
      implements Function2<Integer, Iterator<double[]>, Iterator<Partial>> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<CompiledGraph> graph;
    private final int width;
    private final double[] params;

    Task(Broadcast<CompiledGraph> graph, int width, double[] params) {
      this.graph = graph;
      this.width = width;
      this.params = params;
    }

    @Override
    public Iterator<Partial> call(Integer partition, Iterator<double[]> rows) {
      double[] packed = new double[width * 16];
      int count = 0;
      while (rows.hasNext()) {
        double[] row = rows.next();
        if (row == null) {
          throw new IllegalArgumentException(
              "partition " + partition + ", row " + count + ": inputs is null");
        }
        if (row.length != width) {
          throw new IllegalArgumentException(
              "partition "
                  + partition
                  + ", row "
                  + count
                  + ": inputs has length "
                  + row.length
                  + ", expected "
                  + width);
        }
        long end = (long) (count + 1) * width;
        if (end > packed.length) {
          if (end > MAX_ARRAY) {
            throw new IllegalArgumentException(
                "partition "
                    + partition
                    + " holds more than "
                    + count
                    + " rows of "
                    + width
                    + " values, more than one array holds: split the data into more partitions");
          }
          packed = java.util.Arrays.copyOf(packed, (int) Math.min(MAX_ARRAY, 2 * end));
        }
        System.arraycopy(row, 0, packed, count * width, width);
        count++;
      }
      if (count == 0) {
        return Collections.emptyIterator();
      }
      double[] grad = new double[params.length];
      double sum = graph.value().valueAndGradBatch(packed, count, params, grad);
      return List.of(new Partial(partition, count, sum, grad)).iterator();
    }
  }
}
