package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Op;
import org.junit.jupiter.api.Test;

class LayoutTest {
  @Test
  void layout_chainReadOnce_isOneExpressionStoredIntoTheOutput() {
    Program.Builder b = new Program.Builder(1, 0, 1);
    int x = b.leaf(Kind.INPUT, 0);
    int e = b.unary(Op.EXP, x);
    int t = b.unary(Op.TANH, e);
    b.sink(t, Program.OUTPUT, 0);
    Program p = b.build();

    Layout layout = new Layout(p);

    assertTrue(layout.inline[e]);
    assertEquals(0, layout.directSink[t]);
    assertFalse(layout.stored(t));
    assertEquals(1, layout.workspaceSize); // the output slot only
  }

  @Test
  void layout_valueReadTwice_getsASlotThatTheNextValueReuses() {
    Program.Builder b = new Program.Builder(1, 0, 1);
    int v = b.leaf(Kind.INPUT, 0);
    for (int i = 0; i < 100; i++) {
      int square = b.binary(Op.MUL, v, v);
      v = b.unary(Op.TANH, square); // read twice by the next MUL
    }
    b.sink(b.unary(Op.NEG, v), Program.OUTPUT, 0);
    Program p = b.build();

    Layout layout = new Layout(p);

    assertTrue(layout.stored(2)); // the first TANH
    // the output and one slot: a value's slot is freed at the statement that reads it last, which
    // computes the next value into it
    assertEquals(2, layout.workspaceSize);
  }
}
