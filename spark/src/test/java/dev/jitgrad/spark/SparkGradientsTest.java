package dev.jitgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Jit;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Dataset;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.MLP;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SparkGradientsTest {
  private static JavaSparkContext spark;

  @BeforeAll
  static void startSpark() {
    spark = LocalSpark.context();
  }

  /** A random MLP 3-8-8-1 and its squared error against a label, over rows (x0, x1, x2, y). */
  private static Problem randomMlp(int rows) {
    SplittableRandom random = new SplittableRandom(42);
    MLP mlp = new MLP(random.split(), 3, 8, 8, 1);
    List<Value> inputs = leaves(4);
    Value error = mlp.apply(inputs.subList(0, 3)).get(0).sub(inputs.get(3));
    CompiledGraph graph = Jit.compile(error.mul(error), inputs, mlp.parameters());
    List<double[]> data = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      data.add(random.doubles(4, -2, 2).toArray());
    }
    return new Problem(graph, Values.data(mlp.parameters()), data);
  }

  /** Micrograd's moons model and max-margin loss over its 100 points (x0, x1, y). */
  private static Problem moons() {
    MLP mlp = new MLP(new SplittableRandom(1337).split(), 2, 16, 16, 1);
    List<Value> inputs = leaves(3);
    Value loss = Losses.svmMaxMargin(mlp.apply(inputs.subList(0, 2)).get(0), inputs.get(2));
    CompiledGraph graph = Jit.compile(loss, inputs, mlp.parameters());
    Dataset moons = Dataset.moons(100, 0.1, 1337);
    List<double[]> data = new ArrayList<>();
    for (int i = 0; i < moons.size(); i++) {
      double[] f = moons.features()[i];
      data.add(new double[] {f[0], f[1], moons.labels()[i][0]});
    }
    return new Problem(graph, Values.data(mlp.parameters()), data);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 7})
  void valueAndGrad_randomMlp10000Rows_repeatsToTheBitAndMatchesOneMachine(int partitions) {
    Problem p = randomMlp(10_000);
    JavaRDD<double[]> rows = spark.parallelize(p.data, partitions);

    double[] first = new double[p.params.length];
    double firstValue = SparkGradients.valueAndGrad(rows, p.graph, p.params, first);
    double[] second = new double[p.params.length];
    double secondValue = SparkGradients.valueAndGrad(rows, p.graph, p.params, second);

    assertEquals(Double.doubleToRawLongBits(firstValue), Double.doubleToRawLongBits(secondValue));
    assertArrayEquals(first, second);
    p.assertMatchesOneMachine(firstValue, first, partitions == 1);
  }

  @Test
  void valueAndGrad_moonsOverTwoPartitions_matchesOneMachine() {
    Problem p = moons();

    double[] grad = new double[p.params.length];
    double value =
        SparkGradients.valueAndGrad(spark.parallelize(p.data, 2), p.graph, p.params, grad);

    p.assertMatchesOneMachine(value, grad, false);
  }

  @Test
  void valueAndGrad_moreSlicesThanRows_skipsEmptyPartitions() {
    Problem p = randomMlp(3);

    double[] grad = new double[p.params.length];
    double value =
        SparkGradients.valueAndGrad(spark.parallelize(p.data, 5), p.graph, p.params, grad);

    p.assertMatchesOneMachine(value, grad, false);
  }

  @Test
  void valueAndGrad_emptyRdd_returnsZeroAndAddsNothing() {
    Problem p = randomMlp(0);
    double[] grad = new double[p.params.length];
    java.util.Arrays.fill(grad, 0.25);
    double[] before = grad.clone();

    double value = SparkGradients.valueAndGrad(spark.emptyRDD(), p.graph, p.params, grad);

    assertEquals(0.0, value);
    assertArrayEquals(before, grad);
  }

  @Test
  void valueAndGrad_rowOfWrongLength_failsOnTheDriverNamingPartitionAndRow() {
    Problem p = randomMlp(10);
    double[] bad = {1, 2, 3};
    p.data.set(7, bad);
    double[] grad = new double[p.params.length];
    String expected =
        assertThrows(
                IllegalArgumentException.class,
                () -> p.graph.valueAndGrad(bad, p.params, new double[p.params.length]))
            .getMessage();

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SparkGradients.valueAndGrad(spark.parallelize(p.data, 2), p.graph, p.params, grad));

    assertEquals("partition 1, row 2: " + expected, e.getMessage());
    assertArrayEquals(new double[p.params.length], grad);
  }

  @Test
  void valueAndGrad_paramsOfWrongLength_failsBeforeAnyJobWithBatchMessage() {
    Problem p = randomMlp(4);
    double[] params = new double[p.params.length + 1];
    double[] grad = new double[p.params.length];
    String expected =
        assertThrows(
                IllegalArgumentException.class,
                () -> p.graph.valueAndGradBatch(new double[16], 4, params, grad))
            .getMessage();
    JavaRDD<double[]> jobWouldFail =
        spark
            .parallelize(p.data, 2)
            .map(
                row -> {
                  throw new IllegalStateException("a job ran");
                });

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SparkGradients.valueAndGrad(jobWouldFail, p.graph, params, grad));

    assertEquals(expected, e.getMessage());
  }

  @Test
  void valueAndGrad_paramGradOfWrongLength_failsWithBatchMessage() {
    Problem p = randomMlp(4);
    double[] grad = new double[p.params.length - 1];
    String expected =
        assertThrows(
                IllegalArgumentException.class,
                () -> p.graph.valueAndGradBatch(new double[16], 4, p.params, grad))
            .getMessage();

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SparkGradients.valueAndGrad(spark.parallelize(p.data, 2), p.graph, p.params, grad));

    assertEquals(expected, e.getMessage());
  }

  @Test
  void valueAndGrad_nullArguments_throwNamingThem() {
    Problem p = randomMlp(1);
    JavaRDD<double[]> rows = spark.parallelize(p.data, 1);
    double[] grad = new double[p.params.length];

    NullPointerException noRows =
        assertThrows(
            NullPointerException.class,
            () -> SparkGradients.valueAndGrad(null, p.graph, p.params, grad));
    NullPointerException noGraph =
        assertThrows(
            NullPointerException.class,
            () -> SparkGradients.valueAndGrad(rows, null, p.params, grad));

    assertEquals("rows", noRows.getMessage());
    assertEquals("graph", noGraph.getMessage());
  }

  private static List<Value> leaves(int count) {
    List<Value> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(Value.of(0, "v" + i));
    }
    return out;
  }

  /** A graph, its params and rows, with the one-machine oracle. */
  private record Problem(CompiledGraph graph, double[] params, List<double[]> data) {
    /**
     * Checks a Spark result against {@code valueAndGradBatch} over the same rows in this JVM:
     * within 1e-12 of the sum of the rows' absolute values and gradients, or to the bit.
     */
    void assertMatchesOneMachine(double value, double[] grad, boolean exact) {
      int width = graph.inputCount();
      double[] packed = new double[data.size() * width];
      double[] absGrad = new double[params.length];
      double absValue = 0;
      for (int r = 0; r < data.size(); r++) {
        System.arraycopy(data.get(r), 0, packed, r * width, width);
        double[] rowGrad = new double[params.length];
        absValue += Math.abs(graph.valueAndGrad(data.get(r), params, rowGrad));
        for (int i = 0; i < params.length; i++) {
          absGrad[i] += Math.abs(rowGrad[i]);
        }
      }
      double[] expectedGrad = new double[params.length];
      double expected = graph.valueAndGradBatch(packed, data.size(), params, expectedGrad);

      if (exact) {
        assertEquals(expected, value, 0.0);
        assertArrayEquals(expectedGrad, grad, 0.0);
      }
      assertEquals(expected, value, 1e-12 * absValue);
      for (int i = 0; i < params.length; i++) {
        assertEquals(expectedGrad[i], grad[i], 1e-12 * absGrad[i], "param " + i);
      }
    }
  }
}
