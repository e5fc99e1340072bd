package dev.jitgrad.engine.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Topology against micrograd's recursive build_topo, written out independently. */
class TopologyAdversarialTest {
  /** micrograd's build_topo over several roots: nodes in order, children as positions, roots. */
  private static final class Reference {
    final List<Value> order = new ArrayList<>();
    final Map<Value, Integer> position = new IdentityHashMap<>();

    Reference(List<Value> roots) {
      for (Value r : roots) {
        visit(r);
      }
    }

    private void visit(Value v) {
      if (position.containsKey(v)) {
        return;
      }
      position.put(v, -1); // visited
      for (Value c : Nodes.children(v)) {
        visit(c);
      }
      position.put(v, order.size());
      order.add(v);
    }

    int[] children() {
      List<Integer> all = new ArrayList<>();
      for (Value v : order) {
        for (Value c : Nodes.children(v)) {
          all.add(position.get(c));
        }
      }
      return all.stream().mapToInt(Integer::intValue).toArray();
    }

    int[] childStart() {
      int[] start = new int[order.size() + 1];
      for (int i = 0; i < order.size(); i++) {
        start[i + 1] = start[i] + Nodes.children(order.get(i)).length;
      }
      return start;
    }

    int[] roots(List<Value> roots) {
      return roots.stream().mapToInt(position::get).toArray();
    }
  }

  private static void assertMatchesReference(List<Value> roots, int hint, String what) {
    Reference expected = new Reference(roots);

    Topology actual = Topology.of(roots, hint);
    Topology bare = Topology.traverse(roots, false);

    assertEquals(expected.order.size(), actual.nodes().length, what + ": node count");
    for (int i = 0; i < expected.order.size(); i++) {
      assertSame(expected.order.get(i), actual.nodes()[i], what + ": node " + i);
      assertSame(expected.order.get(i), bare.nodes()[i], what + ": bare node " + i);
    }
    assertArrayEquals(expected.childStart(), actual.childStart(), what + ": childStart");
    assertArrayEquals(expected.children(), actual.children(), what + ": children");
    assertArrayEquals(expected.roots(roots), actual.roots(), what + ": roots");
    assertArrayEquals(expected.roots(roots), bare.roots(), what + ": bare roots");
  }

  @Test
  void of_randomDagsWithSeveralRoots_matchesRecursiveBuildTopo() {
    SplittableRandom random = new SplittableRandom(5);
    for (int t = 0; t < 400; t++) {
      RandomGraphs.Sample s =
          RandomGraphs.wild(random, 1 + random.nextInt(6), 1 + random.nextInt(80));
      List<Value> nodes = new Reference(List.of(s.output())).order;
      List<Value> roots = new ArrayList<>();
      int count = 1 + random.nextInt(5);
      for (int r = 0; r < count; r++) { // inner nodes, leaves, the output, repeats
        roots.add(random.nextBoolean() ? s.output() : nodes.get(random.nextInt(nodes.size())));
      }

      assertMatchesReference(roots, random.nextInt(3) == 0 ? 0 : random.nextInt(200), "dag " + t);
    }
  }

  @Test
  void of_rootReachableFromAnEarlierRoot_andSharedSubgraphs_matchesReference() {
    Value a = Value.of(1);
    Value b = Value.of(2);
    Value shared = a.mul(b).exp();
    Value left = shared.add(a);
    Value right = shared.mul(shared).sub(b);
    Value top = left.div(right);

    List<List<Value>> cases =
        List.of(
            List.of(top, shared, a),
            List.of(a, b, top),
            List.of(shared, top, left, right, top),
            List.of(a),
            List.of(a, a, a),
            List.of(right, left));

    for (List<Value> roots : cases) {
      assertMatchesReference(roots, 0, roots.toString());
    }
  }

  @Test
  void of_wideSumsOfSharedAndLeafTerms_matchesReference() {
    List<Value> leaves = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      leaves.add(Value.of(i));
    }
    List<Value> terms = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      terms.add(i % 3 == 0 ? leaves.get(i) : leaves.get(i).mul(leaves.get((i * 7) % 3000)));
    }
    Value wide = Value.sum(terms);
    Value wider = Value.sum(List.of(wide, Value.sum(terms), leaves.get(5), wide));

    assertMatchesReference(List.of(wider, wide, Value.sum(leaves)), 0, "wide sums");
    assertMatchesReference(List.of(Value.sum(leaves), wider), 10_000, "wide sums, hinted");
  }

  @Test
  void of_deepChainWithSideBranches_positionsAsBuildTopo() {
    int n = 200_000;
    Value x = Value.of(0.5);
    Value v = x;
    List<Value> made = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      v = i % 2 == 0 ? v.mul(x) : v.tanh();
      made.add(v);
    }

    Topology t = Topology.of(List.of(v, x, made.get(n / 2)));

    // build_topo of a chain over x: x first, then the chain in creation order
    assertEquals(n + 1, t.nodes().length);
    assertSame(x, t.nodes()[0]);
    for (int i = 0; i < n; i++) {
      assertSame(made.get(i), t.nodes()[i + 1], "node " + (i + 1));
      int first = t.childStart()[i + 1];
      int expectedChildren = i % 2 == 0 ? 2 : 1;
      assertEquals(first + expectedChildren, t.childStart()[i + 2]);
      assertEquals(i, t.children()[first], "first child of node " + (i + 1));
      if (expectedChildren == 2) {
        assertEquals(0, t.children()[first + 1], "x as second child of node " + (i + 1));
      }
    }
    assertArrayEquals(new int[] {n, 0, n / 2 + 1}, t.roots());
  }
}
