package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class TracerTest {
  @Test
  void trace_sumOfFourLeaves_keepsOneSumWithFourOperands() {
    List<Value> leaves = List.of(Value.of(1), Value.of(2), Value.of(3), Value.of(4));

    Program p = Tracer.trace(List.of(Value.sum(leaves)), List.of(), leaves);

    assertEquals(5, p.size);
    assertEquals(Op.SUM, p.op(4));
    assertEquals(4, p.arity(4));
    for (int j = 0; j < 4; j++) {
      assertEquals(j, p.operand(4, j));
    }
  }

  @Test
  void trace_dot_keepsEachProductAndOneSum() {
    List<Value> w = List.of(Value.of(1), Value.of(2), Value.of(3));
    List<Value> x = List.of(Value.of(4), Value.of(5), Value.of(6));

    Program p = Tracer.trace(List.of(Value.dot(w, x)), x, w);

    int sum = p.sinkValue[0];
    assertEquals(Op.SUM, p.op(sum));
    assertEquals(3, p.arity(sum));
    for (int j = 0; j < 3; j++) {
      assertEquals(Op.MUL, p.op(p.operand(sum, j)));
    }
  }

  @Test
  void trace_leaves_becomeInputParamAndConstantReads() {
    Value x = Value.of(1, "x");
    Value w = Value.of(2, "w");
    Value c = Value.of(3, "c");

    Program p = Tracer.trace(List.of(x.mul(w).add(c)), List.of(x), List.of(w));

    assertEquals(
        "%0 = INPUT[0]\n%1 = PARAM[0]\n%2 = MUL %0 %1\n%3 = CONST 3.0\n%4 = ADD %2 %3\n"
            + "output[0] = %4\n",
        p.toString());
  }

  @Property(tries = 200)
  void trace_wildDag_interpretsToEnginesOutput(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    RandomGraphs.Sample s = RandomGraphs.wild(new SplittableRandom(seed), leaves, ops);
    double[] p = new double[leaves];
    for (int i = 0; i < leaves; i++) {
      p[i] = s.leaves().get(i).data();
    }

    Program traced = Tracer.trace(List.of(s.output()), List.of(), s.leaves());

    Verifier.verify(traced, "trace");
    Oracle.assertBitIdentical(
        new double[] {s.output().data()},
        new double[] {Programs.interpret(traced, new double[0], p)[0]},
        "traced program");
  }
}
