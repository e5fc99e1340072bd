package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class JitOptionsTest {
  @Test
  void defaults_noProperty_optimisedBytecodeWithoutDump() {
    JitOptions options = JitOptions.defaults();

    assertFalse(options.exact());
    assertEquals(JitOptions.Backend.BYTECODE, options.backend());
    assertEquals(JitOptions.DEFAULT_MAX_NODES, options.maxNodes());
    assertNull(options.dumpDirectory());
  }

  @Test
  void defaults_dumpProperty_setsDumpDirectory() {
    System.setProperty("jitgrad.dumpClasses", "build/classes-dump");
    try {
      assertEquals(Path.of("build/classes-dump"), JitOptions.defaults().dumpDirectory());
    } finally {
      System.clearProperty("jitgrad.dumpClasses");
    }
  }

  @Test
  void constructor_badValues_throwWithTheValue() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> JitOptions.defaults().withMaxNodes(0));
    assertTrue(e.getMessage().contains("got 0"), e.getMessage());
    assertThrows(NullPointerException.class, () -> JitOptions.defaults().withBackend(null));
  }

  @Test
  void bytecode_irInterpreterBackend_saysThereIsNone() {
    Value x = Value.of(1, "x");

    CompiledGraph g =
        Jit.compile(
            List.of(x.exp()),
            List.of(x),
            List.of(),
            JitOptions.defaults().withBackend(JitOptions.Backend.IR_INTERPRETER));

    assertTrue(g.bytecode().contains("IR interpreter"));
    assertTrue(g.classBytes().isEmpty());
    assertEquals(Math.exp(2), g.forward(new double[] {2}, new double[0]));
  }
}
