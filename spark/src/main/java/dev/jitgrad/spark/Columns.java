package dev.jitgrad.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Named numeric columns of a {@code Dataset<Row>}, checked against its schema, read as rows. */
final class Columns implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final List<DataType> NUMERIC =
      List.of(DataTypes.DoubleType, DataTypes.FloatType, DataTypes.IntegerType, DataTypes.LongType);

  private final String[] names;
  private final int[] indices;

  private Columns(String[] names, int[] indices) {
    this.names = names;
    this.indices = indices;
  }

  /**
   * Returns the columns {@code names} of {@code frame}.
   *
   * @throws IllegalArgumentException if there are none, or one is missing or not numeric
   */
  static Columns of(Dataset<Row> frame, List<String> names) {
    Objects.requireNonNull(frame, "frame");
    if (names.isEmpty()) {
      throw new IllegalArgumentException("no columns named, expected at least one");
    }
    StructType schema = frame.schema();
    List<String> all = Arrays.asList(schema.fieldNames());
    int[] indices = new int[names.size()];
    for (int c = 0; c < indices.length; c++) {
      String name = Objects.requireNonNull(names.get(c), "column name");
      indices[c] = all.indexOf(name);
      if (indices[c] < 0) {
        throw new IllegalArgumentException("no column '" + name + "' in the columns " + all);
      }
      DataType type = schema.fields()[indices[c]].dataType();
      if (!NUMERIC.contains(type)) {
        throw new IllegalArgumentException(
            "column '"
                + name
                + "' has type "
                + type.simpleString()
                + ", expected double, float, int or bigint (long)");
      }
    }
    return new Columns(names.toArray(new String[0]), indices);
  }

  /** Returns the rows of {@code frame} as arrays of these columns' values; a null fails the job. */
  JavaRDD<double[]> read(Dataset<Row> frame) {
    return frame
        .javaRDD()
        .mapPartitionsWithIndex(
            (partition, rows) ->
                new Iterator<double[]>() {
                  private int row;

                  @Override
                  public boolean hasNext() {
                    return rows.hasNext();
                  }

                  @Override
                  public double[] next() {
                    return values(rows.next(), partition, row++);
                  }
                },
            true);
  }

  private double[] values(Row row, int partition, int index) {
    double[] out = new double[indices.length];
    for (int c = 0; c < indices.length; c++) {
      if (row.isNullAt(indices[c])) {
        throw new IllegalArgumentException(
            "column '"
                + names[c]
                + "' is null in row "
                + index
                + " of partition "
                + partition
                + ", expected a number");
      }
      out[c] = ((Number) row.get(indices[c])).doubleValue();
    }
    return out;
  }
}
