package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Which lane code runs: the Vector API form exactly in the test run that adds its module ({@code
 * jitgrad.test.vectorLanes} true, set by the build's second test execution), the plain form
 * otherwise. The other lane tests, run in both executions, check both forms' numbers.
 */
class LaneVectorsTest {
  private static final boolean EXPECTED = Boolean.getBoolean("jitgrad.test.vectorLanes");

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
