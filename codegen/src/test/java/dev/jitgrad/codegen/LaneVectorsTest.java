package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Which lane code runs: the Vector API form exactly in the test run that adds its module ({@code
 * jitgrad.test.vectorLanes} true, set by the build's second test execution), the plain form
 * otherwise; and the vector form's edges (element runs not a multiple of a vector, one row left
 * over) against the per-row kernel. The other lane tests, run in both executions, check both forms'
 * numbers.
 */
class LaneVectorsTest {
  private static final boolean EXPECTED =
      Boolean.getBoolean("jitgrad.test.vectorLanes") && LaneVectors.supported(preferredBits());

  /**
   * The bits of the processor's preferred double vectors, read through the Vector API if its module
   * is present, else 0: a machine whose vectors are not 256 or 512 bits wide runs the plain form
   * even with the module, and this test expects that there.
   */
  private static int preferredBits() {
    try {
      Class<?> vector = Class.forName("jdk.incubator.vector.DoubleVector");
      Object species = vector.getField("SPECIES_PREFERRED").get(null);
      Class<?> speciesType = Class.forName("jdk.incubator.vector.VectorSpecies");
      return (int) speciesType.getMethod("vectorBitSize").invoke(species);
    } catch (ReflectiveOperationException e) {
      return 0;
    }
  }

  /** Row counts around the 8-row update passes and the 16-row blocks. */
  private static final int[] ROWS = {1, 7, 8, 9, 15, 16, 17, 1000};

  @Test
  void emit_mlpLanes_callTheVectorApiExactlyInTheRunWithItsModule() {
    Program p =
        LoopFormsTest.Graph.mlp(new SplittableRandom(5), 0, 64, 32, 10)
            .programs(JitOptions.defaults())
            .get(1);

    LaneEmitter.Code code = LaneEmitter.emit(p, new Layout(p));

    boolean calls = false;
    for (byte[] c : code.classes()) {
      calls |=
          new String(c, StandardCharsets.ISO_8859_1).contains("jdk/incubator/vector/DoubleVector");
    }
    assertTrue(code.chainStatements() > 0, "chains: " + code.chainStatements());
    assertEquals(EXPECTED, calls);
    assertEquals(EXPECTED, LaneVectors.ON);
  }

  @Test
  void run_updatesAndChainsOfWidthsOffTheVectorLength_equalsPerRowKernelRowByRow() {
    SplittableRandom random = new SplittableRandom(59);
    List<LoopFormsTest.Graph> models =
        List.of(
            LoopFormsTest.Graph.mlp(random, 0, 67, 20, 3),
            LaneAdversarialTest.backwardsLayers(random, 67, 13));
    for (LoopFormsTest.Graph m : models) {
      for (boolean exact : new boolean[] {false, true}) {
        Program gradient = m.programs(JitOptions.defaults().withExact(exact)).get(1);
        String what = m.inputs().size() + " inputs, exact " + exact;

        LaneEmitter.Code rolled =
            LaneFormsTest.assertLanesEqualPerRowKernel(
                gradient, 0, random, what, ROWS, LaneFormsTest::data);

        assertTrue(rolled.chainStatements() > 0, what + ": " + rolled.chainStatements());
        assertTrue(exact || rolled.blockedUpdates() > 0, what + ": " + rolled.blockedUpdates());
      }
    }
  }

  /**
   * Rows of numbers in [-1, 1]; in three blocks of four, one row has an input of NaN, +Inf or -Inf,
   * which the linear first layer of {@link #hiddenLayers} carries into that row's hidden values.
   */
  private static double[] nonFiniteRows(SplittableRandom random, int rows, int inputs) {
    double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    double[] data = random.doubles((long) rows * inputs, -1, 1).toArray();
    for (int block = 0; block * LaneEmitter.LANES < rows; block++) {
      int r = Math.min(rows - 1, block * LaneEmitter.LANES + random.nextInt(LaneEmitter.LANES));
      if (block % 4 < 3) {
        data[r * inputs + random.nextInt(inputs)] = special[block % 4];
      }
    }
    return data;
  }

  /**
   * An MLP of layers of {@code sizes[1..]} neurons over {@code sizes[0]} inputs: linear first, relu
   * between, the last through tanh and summed; the weight gradients of every layer but the first
   * are updates over hidden values.
   */
  private static LoopFormsTest.Graph hiddenLayers(SplittableRandom random, int... sizes) {
    List<Value> inputs = new ArrayList<>();
    for (int i = 0; i < sizes[0]; i++) {
      inputs.add(Value.of(0, "x" + i));
    }
    List<Value> params = new ArrayList<>();
    List<Value> values = inputs;
    for (int layer = 1; layer < sizes.length; layer++) {
      List<Value> next = new ArrayList<>();
      for (int k = 0; k < sizes[layer]; k++) {
        List<Value> terms = new ArrayList<>();
        Value bias = Value.of(random.nextDouble(-1, 1), "b" + layer);
        params.add(bias);
        terms.add(bias);
        for (Value v : values) {
          Value w = Value.of(random.nextDouble(-1, 1), "w" + layer);
          params.add(w);
          terms.add(w.mul(v));
        }
        Value sum = Value.sum(terms);
        next.add(layer == 1 ? sum : layer < sizes.length - 1 ? sum.relu() : sum.tanh());
      }
      values = next;
    }
    return new LoopFormsTest.Graph(Value.sum(values), inputs, params);
  }

  @Test
  void run_hiddenUpdatesOfWidthsOnAndOffTheVectorLengthWithNonFiniteRows_equalsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(61);
    List<LoopFormsTest.Graph> models =
        List.of(hiddenLayers(random, 3, 48, 37, 2), hiddenLayers(random, 3, 53, 24, 2));
    for (LoopFormsTest.Graph m : models) {
      for (boolean exact : new boolean[] {false, true}) {
        Program gradient = m.programs(JitOptions.defaults().withExact(exact)).get(1);
        String what = m.params().size() + " params, exact " + exact;

        LaneEmitter.Code rolled =
            LaneFormsTest.assertLanesEqualPerRowKernel(
                gradient, 0, random, what, ROWS, LaneVectorsTest::nonFiniteRows);

        int transposed = rolled.transposedUpdates();
        assertTrue(exact || (transposed > 0) == EXPECTED, what + ": " + transposed);
        assertTrue(EXPECTED || transposed == 0, what + ": " + transposed);
      }
    }
  }

  /**
   * Layers whose neurons' long sums are written straight, one neuron after another (no loops): with
   * the vector form their chains run in blocks of several neurons ({@link LaneChains#block}), whose
   * sums are all added before any is stored, with NaN and infinities in some rows.
   */
  @Test
  void run_straightLayersOfLongSumsWithNonFiniteRows_runAsBlocksAndEqualPerRowKernel() {
    SplittableRandom random = new SplittableRandom(67);
    List<LoopFormsTest.Graph> models =
        List.of(LoopFormsTest.Graph.mlp(random, 0, 72, 9, 3), hiddenLayers(random, 40, 11, 7, 2));
    for (LoopFormsTest.Graph m : models) {
      for (boolean exact : new boolean[] {false, true}) {
        Program gradient = m.programs(JitOptions.defaults().withExact(exact)).get(1);
        String what = m.params().size() + " params, exact " + exact;

        LaneEmitter.Code straight =
            LaneFormsTest.assertLanesEqualPerRowKernel(
                gradient, Integer.MAX_VALUE, random, what, ROWS, LaneVectorsTest::nonFiniteRows);

        assertEquals(EXPECTED, straight.chainBlocks() > 0, what + ": " + straight.chainBlocks());
      }
    }
  }

  /**
   * Long sums each of which starts from the sum before it, {@code s_k = s_(k-1) + Σ w_k,i·x_i}, or
   * from its tanh, all of them summed at the end: they read the same lanes with their own weights,
   * as a layer's neurons do, but a block adds its sums before storing any, so none of them may join
   * the block of the sum (or the statement computing the tanh) it starts from.
   */
  @Test
  void run_sumsStartingFromTheSumBefore_equalPerRowKernel() {
    SplittableRandom random = new SplittableRandom(71);
    for (boolean activated : new boolean[] {false, true}) {
      List<Value> inputs = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        inputs.add(Value.of(0, "x" + i));
      }
      List<Value> params = new ArrayList<>();
      List<Value> sums = new ArrayList<>();
      Value sum = Value.of(random.nextDouble(-1, 1), "b");
      params.add(sum);
      for (int k = 0; k < 9; k++) {
        List<Value> terms = new ArrayList<>(List.of(activated && k > 0 ? sum.tanh() : sum));
        for (Value x : inputs) {
          Value w = Value.of(random.nextDouble(-1, 1), "w" + k);
          params.add(w);
          terms.add(w.mul(x));
        }
        sum = Value.sum(terms);
        sums.add(sum);
      }
      LoopFormsTest.Graph m = new LoopFormsTest.Graph(Value.sum(sums), inputs, params);
      for (boolean exact : new boolean[] {false, true}) {
        Program gradient = m.programs(JitOptions.defaults().withExact(exact)).get(1);
        String what = "tanh " + activated + ", exact " + exact;

        LaneEmitter.Code straight =
            LaneFormsTest.assertLanesEqualPerRowKernel(
                gradient, Integer.MAX_VALUE, random, what, ROWS, LaneFormsTest::data);

        assertTrue(straight.chainStatements() > 0, what + ": " + straight.chainStatements());
      }
    }
  }

  @Test
  void supported_widthsDoubleVectorNamesAsFields_onlyThose() {
    int[] widths = {64, 128, 256, 512, 1024, 2048};

    boolean[] supported = new boolean[widths.length];
    for (int i = 0; i < widths.length; i++) {
      supported[i] = LaneVectors.supported(widths[i]);
    }

    assertArrayEquals(new boolean[] {false, false, true, true, false, false}, supported);
  }

  @Test
  void bits_propertyFalseOrNoModule_isZero() {
    Optional<Module> module = ModuleLayer.boot().findModule(LaneVectors.MODULE_NAME);

    int off = LaneVectors.bits("false", module);
    int offInCapitals = LaneVectors.bits("FALSE", module);
    int absent = LaneVectors.bits(null, Optional.empty());
    int on = LaneVectors.bits("true", module);

    assertEquals(0, off);
    assertEquals(0, offInCapitals);
    assertEquals(0, absent);
    assertEquals(EXPECTED, on >= 256, "bits: " + on);
  }
}
