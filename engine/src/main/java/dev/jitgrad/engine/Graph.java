package dev.jitgrad.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** The traversal that backward, forward, codegen and graph export share. */
public final class Graph {
  private Graph() {}

  /** Returns the nodes reachable from {@code root}, every child before its parents. */
  public static List<Value> topologicalOrder(Value root) {
    return topologicalOrder(List.of(Objects.requireNonNull(root, "root")));
  }

  /**
   * Returns the nodes reachable from {@code roots}, every child before its parents.
   *
   * <p>The order is micrograd's {@code build_topo}: a depth-first post-order that visits children
   * in operand order and roots in list order. It runs on an explicit stack, so graphs of any depth
   * work.
   *
   * @throws NullPointerException if a root is null
   */
  public static List<Value> topologicalOrder(List<Value> roots) {
    List<Value> order = new ArrayList<>();
    Set<Value> visited = new HashSet<>();
    Value[] nodes = new Value[16];
    int[] next = new int[16];
    for (int r = 0; r < roots.size(); r++) {
      Value root = Objects.requireNonNull(roots.get(r), "a root is null");
      if (!visited.add(root)) {
        continue;
      }
      nodes[0] = root;
      next[0] = 0;
      int depth = 1;
      while (depth > 0) {
        Value top = nodes[depth - 1];
        int i = next[depth - 1];
        if (i < top.childCount()) {
          next[depth - 1] = i + 1;
          Value child = top.child(i);
          if (visited.add(child)) {
            if (depth == nodes.length) {
              nodes = Arrays.copyOf(nodes, depth * 2);
              next = Arrays.copyOf(next, depth * 2);
            }
            nodes[depth] = child;
            next[depth] = 0;
            depth++;
          }
        } else {
          order.add(top);
          nodes[--depth] = null;
        }
      }
    }
    return order;
  }
}
