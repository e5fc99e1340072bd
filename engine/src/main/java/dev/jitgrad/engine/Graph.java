package dev.jitgrad.engine;

import dev.jitgrad.engine.internal.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The topological order that backward, forward and graph export share. */
public final class Graph {
  private Graph() {}

  /** Returns the nodes reachable from {@code root}, every child before its parents. */
  public static List<Value> topologicalOrder(Value root) {
    return topologicalOrder(List.of(Objects.requireNonNull(root, "root")));
  }

  /**
   * Returns the nodes reachable from {@code roots}, every child before its parents.
   *
   * @throws NullPointerException if a root is null
   */
  public static List<Value> topologicalOrder(List<Value> roots) {
    return new ArrayList<>(Topology.traverse(roots, false).order());
  }
}
