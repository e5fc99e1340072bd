package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Graphs far deeper than the call stack would allow for a recursive traversal (a recursive DFS
 * overflows the default stack after some ten thousand frames). Each traversal of a million nodes
 * takes about half a second here, so the tests keep their number of traversals small.
 */
class DeepGraphTest {
  private static final int N = 1_000_000;
  private static final int DEEP = 200_000;

  @Test
  void backwardAndForward_chainOfAMillionAdds_workOnDefaultStack() {
    Value x = Value.of(0.5);
    Value one = Value.of(1.0);
    Value y = x;
    for (int i = 0; i < N; i++) {
      y = y.add(one);
    }

    y.backward();
    x.setData(2.0);
    double after = y.forward();

    // y = x + N·one: dy/dx = 1, and dy/done = N, a sum of N ones (exact in double).
    assertEquals(1.0, x.grad(), 0.0);
    assertEquals(N, one.grad(), 0.0);
    assertEquals(2.0 + N, after, 0.0);
  }

  @Test
  void sum_ofAMillionLeaves_hasValueAndUnitGradients() {
    List<Value> leaves = new ArrayList<>(N);
    for (int i = 0; i < N; i++) {
      leaves.add(Value.of(i));
    }

    Value s = Value.sum(leaves);
    s.backward();

    assertEquals((double) N * (N - 1) / 2, s.data(), 0.0);
    assertEquals(1.0, leaves.get(0).grad(), 0.0);
    assertEquals(1.0, leaves.get(N - 1).grad(), 0.0);
  }

  @Test
  void topologicalOrder_deepChain_listsLeafFirstAndRootLast() {
    Value x = Value.of(1.0);
    Value y = x;
    for (int i = 0; i < DEEP; i++) {
      y = y.neg();
    }

    List<Value> order = Graph.topologicalOrder(y);

    assertEquals(DEEP + 1, order.size());
    assertSame(x, order.get(0));
    assertSame(y, order.get(DEEP));
    assertSame(order.get(DEEP - 1), y.child(0));
  }
}
