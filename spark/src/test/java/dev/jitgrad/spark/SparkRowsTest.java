package dev.jitgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Jit;
import dev.jitgrad.engine.Value;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SparkRowsTest {
  private static final StructType SCHEMA =
      new StructType()
          .add("d", DataTypes.DoubleType)
          .add("f", DataTypes.FloatType)
          .add("i", DataTypes.IntegerType)
          .add("l", DataTypes.LongType)
          .add("s", DataTypes.StringType);

  private static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = LocalSpark.session();
  }

  private static Dataset<Row> frame(Row... rows) {
    return spark.createDataFrame(List.of(rows), SCHEMA);
  }

  @Test
  void rows_eachNumericType_readsTheValuesInTheOrderNamed() {
    Dataset<Row> frame =
        frame(
            RowFactory.create(0.1, 2.5f, 7, 1L << 40, "a"),
            RowFactory.create(-3.0, -0.125f, -8, -5L, "b"));

    List<double[]> rows = SparkGradients.rows(frame, "l", "i", "f", "d").collect();

    assertEquals(2, rows.size());
    assertArrayEquals(new double[] {0x1p40, 7, 2.5, 0.1}, rows.get(0), 0.0);
    assertArrayEquals(new double[] {-5, -8, -0.125, -3.0}, rows.get(1), 0.0);
  }

  @Test
  void rows_feedValueAndGrad_asArraysDo() {
    Value x = Value.of(0, "x");
    Value y = Value.of(0, "y");
    Value w = Value.of(0, "w");
    CompiledGraph graph = Jit.compile(w.mul(x).sub(y).pow(2), List.of(x, y), List.of(w));
    Dataset<Row> frame =
        frame(RowFactory.create(1.0, 2f, 1, 3L, "a"), RowFactory.create(2.0, 0f, 0, 1L, "b"));
    double[] grad = new double[1];

    double value =
        SparkGradients.valueAndGrad(
            SparkGradients.rows(frame, "d", "l"), graph, new double[] {0.5}, grad);

    // (0.5·1 − 3)² + (0.5·2 − 1)² = 6.25; d/dw = 2·(−2.5)·1 + 2·0·2 = −5.
    assertEquals(6.25, value, 0.0);
    assertArrayEquals(new double[] {-5.0}, grad, 0.0);
  }

  @Test
  void rows_nullValue_failsTheJobOnTheDriverNamingTheColumn() {
    Value x = Value.of(0, "x");
    CompiledGraph graph = Jit.compile(x.mul(x), List.of(x), List.of());
    Dataset<Row> frame =
        frame(RowFactory.create(1.0, 2f, 1, 3L, "a"), RowFactory.create(2.0, 0f, null, 1L, "b"));

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SparkGradients.valueAndGrad(
                    SparkGradients.rows(frame.coalesce(1), "i"),
                    graph,
                    new double[0],
                    new double[0]));

    assertEquals("column 'i' is null in row 1 of partition 0, expected a number", e.getMessage());
  }

  @Test
  void rows_nonNumericColumn_throwsNamingItAndItsType() {
    Dataset<Row> frame = frame(RowFactory.create(1.0, 2f, 1, 3L, "a"));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SparkGradients.rows(frame, "d", "s"));

    assertEquals(
        "column 's' has type string, expected double, float, int or bigint (long)", e.getMessage());
  }

  @Test
  void rows_missingColumn_throwsListingTheColumns() {
    Dataset<Row> frame = frame(RowFactory.create(1.0, 2f, 1, 3L, "a"));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SparkGradients.rows(frame, "z"));

    assertEquals("no column 'z' in the columns [d, f, i, l, s]", e.getMessage());
  }

  @Test
  void rows_noColumns_throws() {
    Dataset<Row> frame = frame(RowFactory.create(1.0, 2f, 1, 3L, "a"));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SparkGradients.rows(frame));

    assertEquals("no columns named, expected at least one", e.getMessage());
  }
}
