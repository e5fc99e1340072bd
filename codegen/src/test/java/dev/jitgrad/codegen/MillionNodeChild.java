package dev.jitgrad.codegen;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The other JVM of {@code MillionNodeCompileTest}: builds the graph {@code args[0]} names ({@code
 * chain} or {@code sum}) of a million nodes, compiles it, and prints the compiled value and
 * gradients next to {@code backward()}'s, one line each, as {@code name compiled expected}.
 */
final class MillionNodeChild {
  static final int NODES = 1_000_000;

  private MillionNodeChild() {}

  public static void main(String[] args) {
    List<Value> params = new ArrayList<>();
    Value loss = args[0].equals("chain") ? chain(NODES, params) : sum(NODES, params);
    double[] p = new double[params.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = params.get(i).data();
    }

    CompiledGraph g = Jit.compile(loss, List.of(), params);
    double[] grad = Oracle.startGrad(p.length);
    double value = g.valueAndGrad(new double[0], p, grad);
    g = null;

    double[] expected = Oracle.interpret(loss, List.of(), params, new double[0], p);
    double[] actual = Oracle.concat(value, new double[0], grad);
    StringBuilder out = new StringBuilder();
    for (int i : checked(actual.length)) {
      out.append(i == 0 ? "value" : "grad[" + (i - 1) + "]")
          .append(' ')
          .append(Double.doubleToLongBits(actual[i]))
          .append(' ')
          .append(Double.doubleToLongBits(expected[i]))
          .append('\n');
    }
    System.out.print(out);
  }

  /**
   * A chain of {@code nodes} values, four per step: {@code v = tanh(v·w + c)} with a fresh constant
   * {@code c} at every step, from the param {@code x}; {@code x} and {@code w} go into params.
   */
  static Value chain(int nodes, List<Value> params) {
    Value x = Value.of(0.5, "x");
    Value w = Value.of(0.9, "w");
    params.add(x);
    params.add(w);
    Value v = x;
    for (int i = 0; i < nodes / 4; i++) {
      v = v.mul(w).add(1e-6 * i).tanh();
    }
    return v;
  }

  /** One n-ary sum of {@code nodes} param leaves, which go into params. */
  static Value sum(int nodes, List<Value> params) {
    for (int i = 0; i < nodes; i++) {
      params.add(Value.of(Math.sin(i)));
    }
    return Value.sum(params);
  }

  /** The value, the first and last two gradients and some between. */
  private static int[] checked(int n) {
    return Arrays.stream(new int[] {0, 1, 2, n / 3, n / 2, n - 2, n - 1})
        .filter(i -> i < n)
        .distinct()
        .toArray();
  }
}
