package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
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

    Nodes.Access other =
        new Nodes.Access() {
          @Override
          public double constant(Value v, int j) {
            return 0.0;
          }

          @Override
          public Value[] children(Value v) {
            return new Value[0];
          }
        };

    assertThrows(IllegalStateException.class, () -> Nodes.register(other));
  }

  @Test
  void children_product_areItsOperandsInOrder() {
    Value a = Value.of(2);
    Value b = Value.of(3);

    Value[] children = Nodes.children(a.mul(b));

    assertEquals(2, children.length);
    assertSame(a, children[0]);
    assertSame(b, children[1]);
    assertEquals(0, Nodes.children(a).length);
  }
}
