package dev.jitgrad.codegen;

import dev.jitgrad.engine.Graph;
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
  private Tracer() {}

  /**
   * Traces {@code outputs}; listed leaves become INPUT or PARAM reads, every other leaf a constant.
   * The lists have been checked by the caller.
   */
  static Program trace(List<Value> outputs, List<Value> inputs, List<Value> params) {
    Map<Value, Integer> inputIndex = indexOf(inputs);
    Map<Value, Integer> paramIndex = indexOf(params);
    List<Value> order = Graph.topologicalOrder(outputs);
    Map<Value, Integer> id = new IdentityHashMap<>(order.size() * 2);
    Program.Builder out = new Program.Builder(inputs.size(), params.size(), outputs.size());
    for (Value v : order) {
      id.put(v, lower(v, out, id, inputIndex, paramIndex));
    }
    for (int j = 0; j < outputs.size(); j++) {
      out.sink(id.get(outputs.get(j)), Program.OUTPUT, j);
    }
    return out.build();
  }

  private static int lower(
      Value v,
      Program.Builder out,
      Map<Value, Integer> id,
      Map<Value, Integer> inputIndex,
      Map<Value, Integer> paramIndex) {
    switch (v.op()) {
      case LEAF:
        Integer input = inputIndex.get(v);
        if (input != null) {
          return out.add(IrOp.INPUT, input, -1, 0);
        }
        Integer param = paramIndex.get(v);
        return param != null ? out.add(IrOp.PARAM, param, -1, 0) : out.constant(v.data());
      case SUM:
        // x + (-0.0) is x for every x, so a one-term sum keeps its own node (and gradient order).
        int sum = v.childCount() == 1 ? out.constant(-0.0) : id.get(v.child(1));
        int acc = out.binary(IrOp.ADD, id.get(v.child(0)), sum);
        for (int i = 2; i < v.childCount(); i++) {
          acc = out.binary(IrOp.ADD, acc, id.get(v.child(i)));
        }
        return acc;
      case POW:
        return out.add(IrOp.POW, id.get(v.child(0)), -1, v.exponent());
      default:
        IrOp op = IrOp.valueOf(v.op().name());
        return op.arity == 2
            ? out.binary(op, id.get(v.child(0)), id.get(v.child(1)))
            : out.unary(op, id.get(v.child(0)));
    }
  }

  private static Map<Value, Integer> indexOf(List<Value> leaves) {
    Map<Value, Integer> index = new IdentityHashMap<>();
    for (int i = 0; i < leaves.size(); i++) {
      index.put(leaves.get(i), i);
    }
    return index;
  }
}
