package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.internal.Nodes;
import dev.jitgrad.engine.internal.Topology;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@code Value} graph into a program, one instruction per node in the engine's topological
 * order, with the node's operands in order: an n-ary sum stays one SUM instruction (see {@link
 * Lowering} for where it becomes a chain of adds). Run without passes, the program computes exactly
 * what the interpreter computes.
 */
final class Tracer {
  private Tracer() {}

  /**
   * Traces {@code outputs}; listed leaves become INPUT or PARAM reads, every other leaf a constant.
   * The lists have been checked by the caller.
   */
  static Program trace(List<Value> outputs, List<Value> inputs, List<Value> params) {
    Map<Value, Integer> inputIndex = indexOf(inputs);
    Map<Value, Integer> paramIndex = indexOf(params);
    Topology graph = Topology.of(outputs);
    List<Value> order = graph.order();
    int[] c = graph.children();
    int[] id = new int[order.size()];
    Program.Builder out = new Program.Builder(inputs.size(), params.size(), outputs.size());
    for (int n = 0; n < id.length; n++) {
      Value v = order.get(n);
      if (v.op() == Op.LEAF) {
        Integer input = inputIndex.get(v);
        Integer param = paramIndex.get(v);
        id[n] =
            input != null
                ? out.leaf(Kind.INPUT, input)
                : param != null ? out.leaf(Kind.PARAM, param) : out.constant(v.data());
        continue;
      }
      id[n] = out.start(v.op(), Nodes.constant(v, 0), Nodes.constant(v, 1));
      for (int j = graph.childStart()[n]; j < graph.childStart()[n + 1]; j++) {
        out.operand(id[c[j]]);
      }
    }
    Map<Value, Integer> outputIndex = indexOf(outputs);
    Map<Value, Integer> outputId = new IdentityHashMap<>();
    for (int n = 0; n < id.length; n++) {
      if (outputIndex.containsKey(order.get(n))) {
        outputId.put(order.get(n), id[n]);
      }
    }
    for (int j = 0; j < outputs.size(); j++) {
      out.sink(outputId.get(outputs.get(j)), Program.OUTPUT, j);
    }
    return out.build();
  }

  private static Map<Value, Integer> indexOf(List<Value> leaves) {
    Map<Value, Integer> index = new IdentityHashMap<>();
    for (int i = 0; i < leaves.size(); i++) {
      index.put(leaves.get(i), i);
    }
    return index;
  }
}
