package dev.jitgrad.engine.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The insertion-ordered {@link IdentityIndex} against {@link IdentityHashMap}, and {@link
 * Topology#of(List, int)} under every kind of size hint against a recursive build_topo over child
 * lists kept by the test itself.
 */
class IdentityIndexAdversarialTest {
  @Test
  void randomOperations_equalButDistinctKeysFromCapacityOne_agreeWithIdentityHashMap() {
    SplittableRandom random = new SplittableRandom(7);
    List<Object> keys = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      keys.add(new String("k" + (i % 10))); // equal() in groups, never identical
    }
    for (int expected : new int[] {-5, 0, 1, 2, 3, 17}) {
      IdentityIndex index = new IdentityIndex(expected);
      Map<Object, Integer> oracle = new IdentityHashMap<>();

      for (int step = 0; step < 12_000; step++) {
        Object k = keys.get(random.nextInt(keys.size()));
        int v = random.nextInt(Integer.MAX_VALUE); // any int but -1
        int op = random.nextInt(3);
        if (op == 0) {
          Integer old = oracle.putIfAbsent(k, v);
          assertEquals(old == null ? -1 : old, index.putIfAbsent(k, v), "putIfAbsent");
        } else if (op == 1) {
          assertEquals(oracle.getOrDefault(k, -1), index.get(k), "get");
        } else if (oracle.containsKey(k)) {
          oracle.put(k, v);
          index.set(k, v);
        } else {
          assertThrows(IllegalArgumentException.class, () -> index.set(k, v));
        }
        assertEquals(oracle.size(), index.size(), "size");
      }

      for (Object k : keys) {
        assertEquals(oracle.getOrDefault(k, -1), index.get(k), "final get, hint " + expected);
      }
    }
  }

  @Test
  void putIfAbsent_hundredThousandKeysFromCapacityOne_everyPresentKeyKeepsItsValue() {
    int n = 100_000;
    Object[] keys = new Object[n];
    IdentityIndex index = new IdentityIndex(1);

    for (int i = 0; i < n; i++) {
      keys[i] = new Object();
      assertEquals(-1, index.putIfAbsent(keys[i], i));
    }

    assertEquals(n, index.size());
    for (int i = 0; i < n; i++) {
      assertEquals(i, index.get(keys[i]), "key " + i);
      assertEquals(i, index.putIfAbsent(keys[i], 0), "re-put of key " + i);
    }
    for (int i = 0; i < n; i += 3) {
      index.set(keys[i], n + i);
    }
    for (int i = 0; i < n; i++) {
      assertEquals(i % 3 == 0 ? n + i : i, index.get(keys[i]), "after set, key " + i);
    }
    assertEquals(-1, index.get(new Object()));
    assertEquals(n, index.size());
  }

  @Test
  void putIfAbsent_valueZeroAndMaxValue_areReturnedNotMistakenForFree() {
    Object a = new Object();
    Object b = new Object();
    IdentityIndex index = new IdentityIndex(1);

    index.putIfAbsent(a, 0);
    index.putIfAbsent(b, Integer.MAX_VALUE);

    assertEquals(0, index.get(a));
    assertEquals(Integer.MAX_VALUE, index.get(b));
    assertEquals(0, index.putIfAbsent(a, 5));
  }

  /** A random DAG: its roots, and each node's operands as this test built them. */
  private record Dag(List<Value> roots, Map<Value, List<Value>> operands) {}

  private static Dag randomDag(SplittableRandom random, int nodes) {
    Map<Value, List<Value>> operands = new IdentityHashMap<>();
    List<Value> all = new ArrayList<>();
    int leaves = 1 + random.nextInt(4);
    for (int i = 0; i < leaves; i++) {
      Value leaf = Value.of(random.nextDouble(), "l" + i);
      operands.put(leaf, List.of());
      all.add(leaf);
    }
    for (int i = 0; i < nodes; i++) {
      Value a = all.get(random.nextInt(all.size()));
      Value b = all.get(random.nextInt(all.size()));
      Value c = all.get(random.nextInt(all.size()));
      Value v;
      List<Value> ops;
      switch (random.nextInt(4)) {
        case 0 -> {
          v = a.add(b);
          ops = List.of(a, b);
        }
        case 1 -> {
          v = a.tanh();
          ops = List.of(a);
        }
        case 2 -> {
          v = Value.sum(a, b, c, a);
          ops = List.of(a, b, c, a);
        }
        default -> {
          v = a.mul(a);
          ops = List.of(a, a);
        }
      }
      operands.put(v, ops);
      all.add(v);
    }
    List<Value> roots = new ArrayList<>();
    int rootCount = 1 + random.nextInt(3);
    for (int r = 0; r < rootCount; r++) {
      roots.add(all.get(all.size() - 1 - random.nextInt(Math.min(all.size(), 6))));
    }
    return new Dag(roots, operands);
  }

  private static void buildTopo(
      Value v, Map<Value, List<Value>> operands, Map<Value, Boolean> visited, List<Value> order) {
    if (visited.put(v, Boolean.TRUE) != null) {
      return;
    }
    for (Value child : operands.get(v)) {
      buildTopo(child, operands, visited, order);
    }
    order.add(v);
  }

  @Test
  void of_anyHintOnRandomDags_equalsRecursiveBuildTopo() {
    SplittableRandom random = new SplittableRandom(3);
    int[] hints = {0, 1, -1, -1_000_000, 5, 1 << 18, 1 << 20, Integer.MAX_VALUE, Integer.MIN_VALUE};

    for (int trial = 0; trial < 60; trial++) {
      Dag dag = randomDag(random, random.nextInt(1, 120));
      List<Value> order = new ArrayList<>();
      Map<Value, Boolean> visited = new IdentityHashMap<>();
      for (Value root : dag.roots()) {
        buildTopo(root, dag.operands(), visited, order);
      }
      Map<Value, Integer> position = new IdentityHashMap<>();
      for (int i = 0; i < order.size(); i++) {
        position.put(order.get(i), i);
      }
      int[] childStart = new int[order.size() + 1];
      List<Integer> children = new ArrayList<>();
      for (int i = 0; i < order.size(); i++) {
        for (Value child : dag.operands().get(order.get(i))) {
          children.add(position.get(child));
        }
        childStart[i + 1] = children.size();
      }
      int[] roots = dag.roots().stream().mapToInt(position::get).toArray();
      Topology plain = Topology.of(dag.roots());

      for (int hint : trial % 6 == 0 ? hints : new int[] {hints[random.nextInt(hints.length)]}) {
        Topology t = Topology.of(dag.roots(), hint);

        assertEquals(order.size(), t.order().size(), "hint " + hint);
        for (int i = 0; i < order.size(); i++) {
          assertSame(order.get(i), t.order().get(i), "node " + i + ", hint " + hint);
          assertSame(plain.order().get(i), t.order().get(i), "node " + i + " against of(roots)");
        }
        assertArrayEquals(childStart, t.childStart(), "childStart, hint " + hint);
        assertArrayEquals(
            children.stream().mapToInt(Integer::intValue).toArray(),
            t.children(),
            "children, hint " + hint);
        assertArrayEquals(roots, t.roots(), "roots, hint " + hint);
        assertArrayEquals(plain.children(), t.children());
      }
    }
  }

  @Test
  void of_deepChainWithHugeHint_isBuildTopoWithoutStackOverflow() {
    Value leaf = Value.of(1, "x");
    Value v = leaf;
    for (int i = 0; i < 50_000; i++) {
      v = v.add(leaf);
    }

    Topology t = Topology.of(List.of(v, leaf, v), Integer.MAX_VALUE);

    assertEquals(50_001, t.order().size());
    assertSame(leaf, t.order().get(0));
    assertSame(v, t.order().get(50_000));
    assertArrayEquals(new int[] {50_000, 0, 50_000}, t.roots());
    assertEquals(2 * 50_000, t.children().length);
    assertNotEquals(0, t.childStart()[50_001]);
  }
}
