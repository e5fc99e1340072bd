package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class LargeGraphTest {
  @Test
  void compile_millionNodeChainWithDistinctConstants_runsAndMatchesInterpreter() {
    Value x = Value.of(0.5, "x");
    Value w = Value.of(0.25, "w");
    Value v = x;
    for (int i = 0; i < 250_000; i++) {
      // four nodes per step: two distinct constants, a param and a bounded nonlinearity
      v = v.mul(1.0 + i * 1e-7).add(w.mul(1e-6 * i)).tanh();
    }
    long start = System.nanoTime();
    CompiledGraph g = Jit.compile(v, List.of(x), List.of(w));
    long nanos = System.nanoTime() - start;
    System.out.println(g + "; " + nanos / 1_500_000 + " ns per traced node");
    double[] in = {0.3};
    double[] p = {0.7};

    double[] expected = Oracle.interpret(v, List.of(x), List.of(w), in, p);
    double[] actual = Oracle.compiled(g, in, p);

    Oracle.assertClose(expected, actual, "million-node chain");
    assertTrue(g.toString().contains("classes"));
    assertEquals(1, g.inputCount());
  }
}
