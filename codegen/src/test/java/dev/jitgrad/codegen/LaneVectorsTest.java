package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
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
      Boolean.getBoolean("jitgrad.test.vectorLanes") && preferredBits() >= 256;

  /**
   * The bits of the processor's preferred double vectors, read through the Vector API if its module
   * is present, else 0: a machine whose vectors are narrower than 256 bits runs the plain form even
   * with the module, and this test expects that there.
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

  @Test
  void bits_propertyFalseOrNoModule_isZero() {
    Optional<Module> module = ModuleLayer.boot().findModule(LaneVectors.MODULE_NAME);

    int off = LaneVectors.bits("false", module);
    int absent = LaneVectors.bits(null, Optional.empty());
    int on = LaneVectors.bits("true", module);

    assertEquals(0, off);
    assertEquals(0, absent);
    assertEquals(EXPECTED, on >= 256, "bits: " + on);
  }
}
