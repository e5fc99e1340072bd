package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ReverseTest {
  /** Exact mode's promise, for this stage alone: the expanded program's gradient is backward's. */
  @Property(tries = 300)
  void differentiate_expandedWildDag_bitIdenticalToBackward(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    SplittableRandom random = new SplittableRandom(seed);
    Oracle.RandomCase c = Oracle.RandomCase.draw(random, leaves, ops);
    RandomGraphs.Sample s = c.sample();
    List<Value> inputs = c.inputs();
    List<Value> params = c.params();
    int split = inputs.size();
    double[] all = random.doubles(leaves, -3, 3).toArray();
    double[] x = Arrays.copyOfRange(all, 0, split);
    double[] p = Arrays.copyOfRange(all, split, leaves);
    Program expanded = Lowering.expandNary(Tracer.trace(List.of(s.output()), inputs, params));

    Program gradient = Verifier.verify(Reverse.differentiate(expanded, true, true), "reverse");

    double[] expected = Oracle.interpret(s.output(), inputs, params, x, p);
    Oracle.assertBitIdentical(expected, Programs.interpret(gradient, x, p), "gradient program");
  }

  /** SUM's own rule (one term per operand, as the engine adds them) gives backward's numbers. */
  @Property(tries = 300)
  void differentiate_naryWildDag_sameNumbersAsBackward(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    SplittableRandom random = new SplittableRandom(seed);
    RandomGraphs.Sample s = RandomGraphs.wild(random, leaves, ops);
    double[] p = random.doubles(leaves, -3, 3).toArray();
    Program traced = Tracer.trace(List.of(s.output()), List.of(), s.leaves());

    Program gradient = Verifier.verify(Reverse.differentiate(traced, false, false), "reverse");

    double[] expected = Oracle.interpret(s.output(), List.of(), s.leaves(), new double[0], p);
    Oracle.assertSameNumbers(expected, Programs.interpret(gradient, new double[0], p), "n-ary");
  }

  @Test
  void differentiate_productWithConstant_buildsNothingForTheConstant() {
    Value w = Value.of(2, "w");
    Value c = Value.of(3, "c");
    Program f = Tracer.trace(List.of(w.mul(c)), List.of(), List.of(w));

    Program gradient = Reverse.differentiate(f, false, true);

    // forward (PARAM, CONST, MUL), the seed 1, then w's term c·g, PARAM_GRAD and their ADD only
    assertEquals(
        "%0 = PARAM[0]\n%1 = CONST 3.0\n%2 = MUL %0 %1\n%3 = CONST 1.0\n%4 = MUL %1 %3\n"
            + "%5 = PARAM_GRAD[0]\n%6 = ADD %5 %4\noutput[0] = %2\nparamGrad[0] = %6\n",
        gradient.toString());
  }

  /** Exact mode's promise with sums kept whole: n-ary reverse mode is backward, bit for bit. */
  @Property(tries = 300)
  void differentiate_naryWildDagExact_bitIdenticalToBackward(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    SplittableRandom random = new SplittableRandom(seed);
    Oracle.RandomCase c = Oracle.RandomCase.draw(random, leaves, ops);
    double[] all = random.doubles(leaves, -3, 3).toArray();
    double[] x = Arrays.copyOfRange(all, 0, c.inputs().size());
    double[] p = Arrays.copyOfRange(all, c.inputs().size(), leaves);
    Program traced = Tracer.trace(List.of(c.sample().output()), c.inputs(), c.params());

    Program gradient = Verifier.verify(Reverse.differentiate(traced, true, true), "reverse");

    double[] expected = Oracle.interpret(c.sample().output(), c.inputs(), c.params(), x, p);
    Oracle.assertBitIdentical(expected, Programs.interpret(gradient, x, p), "n-ary, exact");
  }

  @Test
  void differentiate_sumInDefaultMode_passesTheAdjointToEachTermWithoutAnAdd() {
    Value a = Value.of(1, "a");
    Value b = Value.of(2, "b");
    Value s = Value.sum(a.tanh(), b.exp(), a.tanh());
    Program f = Tracer.trace(List.of(s), List.of(), List.of(a, b));

    Program gradient = Reverse.differentiate(f, false, false);

    // the only adds are the params' accumulations: a gets two terms, b one
    int adds = 0;
    for (int i = 0; i < gradient.size; i++) {
      adds += gradient.op(i) == Op.ADD ? 1 : 0;
    }
    assertEquals(3, adds, gradient.toString());
    double[] p = {0.3, -1.7};
    Oracle.assertSameNumbers(
        Oracle.interpret(s, List.of(), List.of(a, b), new double[0], p),
        Programs.interpret(gradient, new double[0], p),
        "sum");
  }

  @Test
  void differentiate_sumInExactMode_startsEachInnerAdjointAtPositiveZero() {
    Value a = Value.of(1, "a");
    Value s = Value.sum(a.tanh(), a.exp());
    Program f = Tracer.trace(List.of(s), List.of(), List.of(a));

    Program gradient = Reverse.differentiate(f, false, true);

    // each term's adjoint is 0.0 + g, then a's two accumulations
    int startsAtZero = 0;
    int adds = 0;
    for (int i = 0; i < gradient.size; i++) {
      if (gradient.op(i) == Op.ADD) {
        adds++;
        int start = gradient.operand(i, 0);
        boolean zero = gradient.kind(start) == Kind.CONST && gradient.k[start] == 0.0;
        startsAtZero += zero && 1 / gradient.k[start] > 0 ? 1 : 0;
      }
    }
    assertEquals(4, adds, gradient.toString());
    assertEquals(2, startsAtZero, gradient.toString());
  }

  @Test
  void differentiate_tanhChain_buildsEachConstantOnce() {
    Value a = Value.of(0.5, "a");
    Value y = a.tanh().tanh().tanh();
    Program f = Tracer.trace(List.of(y), List.of(), List.of(a));

    Program gradient = Reverse.differentiate(f, false, true);

    // the seed 1.0 and the 1 of each tanh's 1 - o·o are one instruction, the adjoints' start
    // +0.0 another
    assertEquals(2, Programs.count(gradient, Kind.CONST), gradient.toString());
    double[] p = {0.5};
    Oracle.assertBitIdentical(
        Oracle.interpret(y, List.of(), List.of(a), new double[0], p),
        Programs.interpret(gradient, new double[0], p),
        "tanh chain");
  }
}
