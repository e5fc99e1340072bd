package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.internal.Topology;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GraphTest {

  /** micrograd's recursive {@code build_topo}, children in operand order: the oracle. */
  static List<Value> referenceOrder(List<Value> roots) {
    List<Value> topo = new ArrayList<>();
    Set<Value> visited = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Value root : roots) {
      buildTopo(root, visited, topo);
    }
    return topo;
  }

  private static void buildTopo(Value v, Set<Value> visited, List<Value> topo) {
    if (visited.add(v)) {
      for (Value child : v.children()) {
        buildTopo(child, visited, topo);
      }
      topo.add(v);
    }
  }

  /** Asserts that each node appears once and every child comes before each of its parents. */
  static void assertTopological(List<Value> order) {
    Map<Value, Integer> position = new IdentityHashMap<>();
    for (int i = 0; i < order.size(); i++) {
      Integer earlier = position.put(order.get(i), i);
      assertEquals(null, earlier, "node listed twice, at " + earlier + " and " + i);
    }
    for (int i = 0; i < order.size(); i++) {
      for (Value child : order.get(i).children()) {
        Integer p = position.get(child);
        assertTrue(p != null && p < i, "child of node " + i + " is at " + p);
      }
    }
  }

  @Test
  void topologicalOrder_readmeGraph_matchesRecursivePostOrder() {
    Value g = MicrogradExpression.build(Value.of(-4.0), Value.of(2.0));

    List<Value> order = Graph.topologicalOrder(g);

    assertEquals(referenceOrder(List.of(g)), order);
    assertTopological(order);
    assertSame(g, order.get(order.size() - 1));
  }

  @Test
  void topologicalOrder_smallDiamond_isExactPostOrder() {
    Value x = Value.of(1.0);
    Value y = Value.of(2.0);
    Value s = x.mul(y);
    Value left = s.tanh();
    Value right = s.add(x);
    Value out = left.sub(right);

    List<Value> order = Graph.topologicalOrder(out);

    // Traced by hand: out visits left, which visits s, which emits x and y, then s, then left;
    // right's children s and x are already visited, so right follows, and out comes last.
    assertEquals(List.of(x, y, s, left, right, out), order);
  }

  @Test
  void topologicalOrder_variableUsedTwiceInOneOp_listsItOnce() {
    Value x = Value.of(3.0);
    Value y = x.mul(x);

    List<Value> order = Graph.topologicalOrder(y);

    assertEquals(List.of(x, y), order);
  }

  @Test
  void topologicalOrder_severalRootsSharingNodes_matchesReferenceAndListsEachOnce() {
    Value x = Value.of(0.5);
    Value y = Value.of(-1.5);
    Value shared = x.mul(y).exp();
    Value first = shared.add(x);
    Value second = shared.mul(y).add(first);
    List<Value> roots = List.of(first, second, first);

    List<Value> order = Graph.topologicalOrder(roots);

    assertEquals(referenceOrder(roots), order);
    assertTopological(order);
  }

  @Test
  void topologicalOrder_leaf_isJustTheLeaf() {
    Value x = Value.of(1.0);

    assertEquals(List.of(x), Graph.topologicalOrder(x));
  }

  @Test
  void topologicalOrder_nullRoot_throwsNullPointer() {
    List<Value> roots = Arrays.asList(Value.of(1.0), null);

    assertThrows(NullPointerException.class, () -> Graph.topologicalOrder((Value) null));
    assertThrows(NullPointerException.class, () -> Graph.topologicalOrder(roots));
  }

  @Test
  void topology_readmeGraph_childPositionsPointAtEachChildInTheOrder() {
    Value g = MicrogradExpression.build(Value.of(-4.0), Value.of(2.0));

    Topology t = Topology.of(List.of(g));

    assertEquals(Graph.topologicalOrder(g), t.order());
    assertEquals(t.order().size() + 1, t.childStart().length);
    for (int n = 0; n < t.order().size(); n++) {
      Value v = t.order().get(n);
      assertEquals(v.childCount(), t.childStart()[n + 1] - t.childStart()[n]);
      for (int c = 0; c < v.childCount(); c++) {
        assertSame(v.child(c), t.order().get(t.children()[t.childStart()[n] + c]));
      }
    }
  }

  @Test
  void topology_repeatedAndSharedRoots_givesEachRootsPosition() {
    Value x = Value.of(1.0);
    Value y = x.tanh();
    Value z = y.add(x);
    List<Value> roots = List.of(z, y, z, x);

    Topology t = Topology.of(roots);

    assertEquals(roots.size(), t.roots().length);
    for (int r = 0; r < roots.size(); r++) {
      assertSame(roots.get(r), t.order().get(t.roots()[r]));
    }
  }
}
