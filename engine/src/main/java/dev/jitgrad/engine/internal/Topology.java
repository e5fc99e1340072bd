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

  /**
   * The one traversal; child positions are recorded only when asked for.
   *
   * <p>Each node is looked up once per edge that reaches it: the index maps a node to the order in
   * which it was discovered, {@code placed} maps that to its position once it has one, and the
   * positions of the children of the nodes on the stack wait in {@code pending}, a block per node,
   * until their node is placed.
   */
  public static Topology traverse(List<Value> roots, boolean withChildren) {
    List<Value> order = new ArrayList<>();
    IdentityIndex discovered = new IdentityIndex(1024);
    int[] placed = new int[1024];
    int[] childStart = new int[withChildren ? 1024 : 1];
    int[] children = new int[withChildren ? 1024 : 0];
    int childCount = 0;
    Value[] nodes = new Value[16];
    int[] next = new int[16];
    int[] discovery = new int[16];
    int[] block = new int[16];
    int[] pending = new int[16];
    int[] rootPositions = new int[roots.size()];
    for (int r = 0; r < roots.size(); r++) {
      Value root = Objects.requireNonNull(roots.get(r), "a root is null");
      int seen = discovered.putIfAbsent(root, discovered.size());
      if (seen != -1) {
        rootPositions[r] = placed[seen];
        continue;
      }
      nodes[0] = root;
      next[0] = 0;
      discovery[0] = discovered.size() - 1;
      block[0] = 0;
      pending = fit(pending, root.childCount());
      int depth = 1;
      while (depth > 0) {
        Value top = nodes[depth - 1];
        int i = next[depth - 1];
        if (i < top.childCount()) {
          next[depth - 1] = i + 1;
          Value child = top.child(i);
          int d = discovered.size();
          seen = discovered.putIfAbsent(child, d);
          if (seen != -1) {
            pending[block[depth - 1] + i] = placed[seen];
            continue;
          }
          if (depth == nodes.length) {
            nodes = Arrays.copyOf(nodes, depth * 2);
            next = Arrays.copyOf(next, depth * 2);
            discovery = Arrays.copyOf(discovery, depth * 2);
            block = Arrays.copyOf(block, depth * 2);
          }
          nodes[depth] = child;
          next[depth] = 0;
          discovery[depth] = d;
          block[depth] = block[depth - 1] + top.childCount();
          pending = fit(pending, block[depth] + child.childCount());
          depth++;
        } else {
          int n = order.size();
          order.add(top);
          nodes[--depth] = null;
          placed = fit(placed, discovery[depth] + 1);
          placed[discovery[depth]] = n;
          if (depth > 0) {
            pending[block[depth - 1] + next[depth - 1] - 1] = n;
          }
          if (!withChildren) {
            continue;
          }
          int k = top.childCount();
          children = fit(children, childCount + k);
          System.arraycopy(pending, block[depth], children, childCount, k);
          childCount += k;
          childStart = fit(childStart, n + 2);
          childStart[n + 1] = childCount;
        }
      }
      rootPositions[r] = order.size() - 1;
    }
    return new Topology(
        order,
        withChildren ? Arrays.copyOf(childStart, order.size() + 1) : new int[0],
        Arrays.copyOf(children, childCount),
        rootPositions);
  }

  /** Returns {@code a}, or a copy at least twice as long if it is shorter than {@code length}. */
  private static int[] fit(int[] a, int length) {
    return length <= a.length ? a : Arrays.copyOf(a, Math.max(length, 2 * a.length));
  }
}
