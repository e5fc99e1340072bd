package dev.jitgrad.codegen;

import dev.jitgrad.engine.Graph;
import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.Value;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@code Value} graph into a program, one instruction per node in the engine's topological
 * order (an n-ary sum becomes a left-to-right chain of adds), so that a program run without passes
 * computes exactly what the interpreter computes.
 */
final class Tracer {
  /** The IR op of each engine op that maps one to one (by name). */
  private static final IrOp[] LOWERED = new IrOp[Op.values().length];

  static {
    for (Op op : Op.values()) {
      if (op != Op.LEAF && op != Op.SUM) {
        LOWERED[op.ordinal()] = IrOp.valueOf(op.name());
      }
    }
  }

  private Tracer() {}

  /**
   * Traces {@code outputs}; listed leaves become INPUT or PARAM reads, every other leaf a constant.
   * The lists have been checked by the caller.
   */
  static Program trace(List<Value> outputs, List<Value> inputs, List<Value> params) {
    Map<Value, Integer> inputIndex = indexOf(inputs);
    Map<Value, Integer> paramIndex = indexOf(params);
    Graph.Topology graph = Graph.topology(outputs);
    List<Value> order = graph.order();
    int[] id = new int[order.size()];
    Program.Builder out = new Program.Builder(inputs.size(), params.size(), outputs.size());
    for (int n = 0; n < id.length; n++) {
      Value v = order.get(n);
      int first = graph.childStart()[n];
      int count = graph.childStart()[n + 1] - first;
      int[] c = graph.children();
      switch (v.op()) {
        case LEAF:
          Integer input = inputIndex.get(v);
          Integer param = paramIndex.get(v);
          id[n] =
              input != null
                  ? out.add(IrOp.INPUT, input, -1, 0)
                  : param != null ? out.add(IrOp.PARAM, param, -1, 0) : out.constant(v.data());
          break;
        case SUM:
          // x + (-0.0) is x for every x, so a one-term sum keeps its own node (and gradient order).
          int second = count == 1 ? out.constant(-0.0) : id[c[first + 1]];
          int acc = out.binary(IrOp.ADD, id[c[first]], second);
          for (int i = 2; i < count; i++) {
            acc = out.binary(IrOp.ADD, acc, id[c[first + i]]);
          }
          id[n] = acc;
          break;
        case POW:
          id[n] = out.add(IrOp.POW, id[c[first]], -1, v.exponent());
          break;
        default:
          IrOp op = LOWERED[v.op().ordinal()];
          id[n] =
              op.arity == 2
                  ? out.binary(op, id[c[first]], id[c[first + 1]])
                  : out.unary(op, id[c[first]]);
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
