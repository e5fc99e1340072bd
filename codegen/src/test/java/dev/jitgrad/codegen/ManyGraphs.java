package dev.jitgrad.codegen;

import dev.jitgrad.engine.Value;
import java.util.List;

/** Compiles and runs many graphs in a row; run in a JVM with little metaspace by a test. */
final class ManyGraphs {
  private ManyGraphs() {}

  /** Compiles {@code args[0]} graphs, each used once and dropped; exits 0 if all ran. */
  public static void main(String[] args) {
    int count = Integer.parseInt(args[0]);
    double sum = 0;
    for (int i = 0; i < count; i++) {
      Value x = Value.of(1, "x");
      Value w = Value.of(2, "w");
      Value y = x.mul(w).add(i).tanh().mul(x.sub(w).pow(2));
      CompiledGraph g = Jit.compile(y, List.of(x), List.of(w));
      sum += g.valueAndGrad(new double[] {0.5}, new double[] {0.25}, new double[1]);
    }
    System.out.println("compiled " + count + " graphs, checksum " + sum);
  }
}
