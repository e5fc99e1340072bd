package dev.jitgrad.engine.internal;

import dev.jitgrad.engine.Value;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The nodes of a graph in topological order, with each node's children given as positions in that
 * order: the children of {@code nodes[i]} are at {@code children[childStart[i] .. childStart[i +
 * 1])}. The one traversal of the engine; codegen traces graphs with it.
 *
 * @param nodes the nodes, every child before its parents; the caller must not write it
 * @param childStart where each node's children begin in {@code children}; one longer than nodes
 *     (empty if children were not asked for)
 * @param children the positions of children, node by node, in operand order
 * @param roots the position of each root, in the order the roots were given
 */
public record Topology(Value[] nodes, int[] childStart, int[] children, int[] roots) {
  /** Returns the nodes, every child before its parents, as a list that cannot be changed. */
  public List<Value> order() {
    return Collections.unmodifiableList(Arrays.asList(nodes));
  }

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
    return traverse(roots, true, 0);
  }

  /**
   * As {@link #of(List)}, sized for about {@code expectedNodes} nodes up front (a hint: any number
   * works), which saves growing its index step by step.
   */
  public static Topology of(List<Value> roots, int expectedNodes) {
    return traverse(roots, true, expectedNodes);
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
    return traverse(roots, withChildren, 0);
  }

  private static Topology traverse(List<Value> roots, boolean withChildren, int expectedNodes) {
    // each step reads arrays: a compile runs it once, much of it before HotSpot compiles it. A hint
    // costs ≤ 14 MB; without one, a graph of micrograd's size fills no more than it needs
    int expected = Math.max(32, Math.min(expectedNodes, 1 << 18));
    Value[] order = new Value[expected];
    int placedCount = 0;
    IdentityIndex discovered = new IdentityIndex(expected); // a node's value: its discovery
    int[] placed = new int[expected];
    int[] childStart = new int[withChildren ? expected : 1];
    int[] children = new int[withChildren ? 2 * expected : 0];
    int childCount = 0;
    Value[] nodes = new Value[16];
    Value[][] kids = new Value[16][];
    int[] next = new int[16];
    int[] discovery = new int[16];
    int[] block = new int[16];
    int[] pending = new int[16];
    int[] rootPositions = new int[roots.size()];
    // the nodes discovered so far. A first compile runs this loop interpreted for its first 60,000
    // trips or so, where each call costs, so sizes are checked here and calls made only to grow
    int found = 0;
    for (int r = 0; r < roots.size(); r++) {
      Value root = Objects.requireNonNull(roots.get(r), "a root is null");
      int seen = discovered.putIfAbsent(root, found);
      if (seen != -1) {
        rootPositions[r] = placed[seen];
        continue;
      }
      found++;
      nodes[0] = root;
      kids[0] = Nodes.children(root);
      next[0] = 0;
      discovery[0] = found - 1;
      block[0] = 0;
      pending = fit(pending, kids[0].length);
      int depth = 1;
      while (depth > 0) {
        Value[] k = kids[depth - 1];
        int i = next[depth - 1];
        if (i < k.length) {
          next[depth - 1] = i + 1;
          Value child = k[i];
          seen = discovered.putIfAbsent(child, found);
          if (seen != -1) {
            pending[block[depth - 1] + i] = placed[seen];
            continue;
          }
          found++;
          if (depth == nodes.length) {
            nodes = Arrays.copyOf(nodes, depth * 2);
            kids = Arrays.copyOf(kids, depth * 2);
            next = Arrays.copyOf(next, depth * 2);
            discovery = Arrays.copyOf(discovery, depth * 2);
            block = Arrays.copyOf(block, depth * 2);
          }
          Value[] grandchildren = Nodes.children(child);
          nodes[depth] = child;
          kids[depth] = grandchildren;
          next[depth] = 0;
          discovery[depth] = found - 1;
          block[depth] = block[depth - 1] + k.length;
          if (block[depth] + grandchildren.length > pending.length) {
            pending = fit(pending, block[depth] + grandchildren.length);
          }
          depth++;
        } else {
          int n = placedCount++;
          if (n == order.length) {
            order = Arrays.copyOf(order, n * 2);
          }
          order[n] = nodes[--depth];
          nodes[depth] = null;
          kids[depth] = null;
          if (discovery[depth] >= placed.length) {
            placed = fit(placed, discovery[depth] + 1);
          }
          placed[discovery[depth]] = n;
          if (depth > 0) {
            pending[block[depth - 1] + next[depth - 1] - 1] = n;
          }
          if (!withChildren) {
            continue;
          }
          if (childCount + k.length > children.length) {
            children = fit(children, childCount + k.length);
          }
          if (k.length > 0) {
            System.arraycopy(pending, block[depth], children, childCount, k.length);
          }
          childCount += k.length;
          if (n + 2 > childStart.length) {
            childStart = fit(childStart, n + 2);
          }
          childStart[n + 1] = childCount;
        }
      }
      rootPositions[r] = placedCount - 1;
    }
    return new Topology(
        Arrays.copyOf(order, placedCount),
        withChildren ? Arrays.copyOf(childStart, placedCount + 1) : new int[0],
        Arrays.copyOf(children, childCount),
        rootPositions);
  }

  /** Returns {@code a}, or a copy at least twice as long if it is shorter than {@code length}. */
  private static int[] fit(int[] a, int length) {
    return length <= a.length ? a : Arrays.copyOf(a, Math.max(length, 2 * a.length));
  }
}
