package dev.jitgrad.engine.internal;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The nodes of a graph in topological order, with each node's children given as positions in that
 * order: the children of {@code order.get(i)} are at {@code children[childStart[i] .. childStart[i
 * + 1])}. The one traversal of the engine; codegen traces graphs with it.
 *
 * @param order the nodes, every child before its parents
 * @param childStart where each node's children begin in {@code children}; one longer than order
 *     (empty if children were not asked for)
 * @param children the positions of children, node by node, in operand order
 * @param roots the position of each root, in the order the roots were given
 */
public record Topology(List<Value> order, int[] childStart, int[] children, int[] roots) {
  /** Marks a node that the traversal has met but not yet placed in the order. */
  private static final int OPEN = -2;

  /**
   * Returns the nodes reachable from {@code roots} in topological order, with child positions.
   *
   * <p>The order is micrograd's {@code build_topo}: a depth-first post-order that visits children
   * in operand order and roots in list order. It runs on an explicit stack, so graphs of any depth
   * work, and keeps each node's position in an {@link IdentityIndex}, so it allocates no object per
   * node.
   *
   * @throws NullPointerException if a root is null
   */
  public static Topology of(List<Value> roots) {
    return traverse(roots, true);
  }

  /** The one traversal; child positions are recorded only when asked for. */
  public static Topology traverse(List<Value> roots, boolean withChildren) {
    List<Value> order = new ArrayList<>();
    IdentityIndex position = new IdentityIndex(1024);
    int[] childStart = new int[17];
    int[] children = new int[16];
    int childCount = 0;
    Value[] nodes = new Value[16];
    int[] next = new int[16];
    for (int r = 0; r < roots.size(); r++) {
      Value root = Objects.requireNonNull(roots.get(r), "a root is null");
      if (position.putIfAbsent(root, OPEN) != -1) {
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
          if (position.putIfAbsent(child, OPEN) == -1) {
            if (depth == nodes.length) {
              nodes = Arrays.copyOf(nodes, depth * 2);
              next = Arrays.copyOf(next, depth * 2);
            }
            nodes[depth] = child;
            next[depth] = 0;
            depth++;
          }
        } else {
          int n = order.size();
          order.add(top);
          nodes[--depth] = null;
          position.set(top, n);
          if (!withChildren) {
            continue;
          }
          if (childCount + top.childCount() > children.length) {
            children =
                Arrays.copyOf(
                    children, Math.max(children.length * 2, childCount + top.childCount()));
          }
          for (int c = 0; c < top.childCount(); c++) {
            children[childCount++] = position.get(top.child(c));
          }
          if (n + 2 > childStart.length) {
            childStart = Arrays.copyOf(childStart, childStart.length * 2);
          }
          childStart[n + 1] = childCount;
        }
      }
    }
    int[] rootPositions = new int[roots.size()];
    for (int r = 0; r < rootPositions.length; r++) {
      rootPositions[r] = position.get(roots.get(r));
    }
    return new Topology(
        order,
        withChildren ? Arrays.copyOf(childStart, order.size() + 1) : new int[0],
        Arrays.copyOf(children, childCount),
        rootPositions);
  }
}
