package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.internal.IdentityIndex;
import dev.jitgrad.engine.internal.Nodes;
import dev.jitgrad.engine.internal.Topology;
import java.util.List;

/**
 * Turns a {@code Value} graph into a program, one instruction per node in the engine's topological
 * order, with the node's operands in order: an n-ary sum stays one SUM instruction (see {@link
 * Lowering} for where it becomes a chain of adds). Run without passes, the program computes exactly
 * what the interpreter computes.
 */
final class Tracer {
  private Tracer() {}

  /**
   * The leaves listed as inputs and params: {@code positions} maps input {@code i} to {@code i} and
   * param {@code i} to {@code inputCount + i}; a leaf listed twice keeps its first position.
   */
  record Listed(IdentityIndex positions, int inputCount, int paramCount) {}

  /** Returns the positions of {@code inputs} and {@code params}, unchecked. */
  static Listed listed(List<Value> inputs, List<Value> params) {
    IdentityIndex positions = new IdentityIndex(inputs.size() + params.size());
    for (int i = 0; i < inputs.size(); i++) {
      positions.putIfAbsent(inputs.get(i), i);
    }
    for (int i = 0; i < params.size(); i++) {
      positions.putIfAbsent(params.get(i), inputs.size() + i);
    }
    return new Listed(positions, inputs.size(), params.size());
  }

  /**
   * Traces {@code outputs}; listed leaves become INPUT or PARAM reads, every other leaf a constant.
   * The lists have been checked by the caller.
   */
  static Program trace(List<Value> outputs, List<Value> inputs, List<Value> params) {
    return trace(outputs, listed(inputs, params));
  }

  /** Traces {@code outputs} with the listed leaves {@code listed}, checked by the caller. */
  static Program trace(List<Value> outputs, Listed listed) {
    int inputCount = listed.inputCount();
    Topology graph = Topology.of(outputs);
    List<Value> order = graph.order();
    int[] childStart = graph.childStart();
    int[] c = graph.children();
    int[] id = new int[order.size()];
    Program.Builder out =
        new Program.Builder(inputCount, listed.paramCount(), outputs.size(), id.length, c.length);
    for (int n = 0; n < id.length; n++) {
      Value v = order.get(n);
      if (v.op() == Op.LEAF) {
        int leaf = listed.positions().get(v);
        id[n] =
            leaf == -1
                ? out.constant(v.data())
                : leaf < inputCount
                    ? out.leaf(Kind.INPUT, leaf)
                    : out.leaf(Kind.PARAM, leaf - inputCount);
        continue;
      }
      id[n] = out.start(v.op(), Nodes.constant(v, 0), Nodes.constant(v, 1));
      for (int j = childStart[n]; j < childStart[n + 1]; j++) {
        out.operand(id[c[j]]);
      }
    }
    for (int j = 0; j < outputs.size(); j++) {
      out.sink(id[graph.roots()[j]], Program.OUTPUT, j);
    }
    return out.build();
  }
}
