package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jitgrad.engine.internal.Nodes;
import org.junit.jupiter.api.Test;

class NodesTest {
  @Test
  void constant_clampAndPow_readThroughTheInternalAccessor() {
    Value x = Value.of(1.5);

    double lo = Nodes.constant(x.clamp(-2, 3), 0);
    double hi = Nodes.constant(x.clamp(-2, 3), 1);
    double exponent = Nodes.constant(x.pow(2.5), 0);

    assertEquals(-2.0, lo);
    assertEquals(3.0, hi);
    assertEquals(2.5, exponent);
    assertEquals(0.0, Nodes.constant(x, 1));
  }

  @Test
  void register_second_throws() {
    Value.of(0); // Value's class has registered its accessor

    assertThrows(IllegalStateException.class, () -> Nodes.register((v, j) -> 0.0));
  }
}
