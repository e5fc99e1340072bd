package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Default mode computes the interpreter's numbers, NaN and infinities included: every pass alone,
 * and the whole pipeline, at points full of non-finite and extreme values.
 */
class NonFiniteTest {
  private static final double[] SPECIAL = {
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    0.0,
    -0.0,
    1e308,
    -1e-300,
    Double.MIN_VALUE
  };

  @Test
  void valueAndGrad_mergedProductsWithInfiniteOperand_keepsEnginesNaN() {
    Value x = Value.of(0.5, "x");
    Value y = Value.of(Double.POSITIVE_INFINITY, "y");
    Value out = x.mul(y).tanh().add(x.mul(y));
    CompiledGraph compiled = Jit.compile(out, List.of(), List.of(x, y));
    double[] p = {0.5, Double.POSITIVE_INFINITY};

    double[] expected = Oracle.interpret(out, List.of(), List.of(x, y), new double[0], p);
    double[] actual = Oracle.compiled(compiled, new double[0], p);

    assertTrue(Double.isNaN(expected[1]), "the engine's x gradient is NaN");
    Oracle.assertSameNumbers(expected, actual, "x·y merged by CSE");
  }

  @Test
  void valueAndGrad_cancellingTerms_sameNumberAsEngine() {
    Value w = Value.of(1.0, "w");
    Value out = w.mul(1e8).sub(w.mul(1e8)).add(w.mul(0.3));
    CompiledGraph compiled = Jit.compile(out, List.of(), List.of(w));
    double[] grad = new double[1];

    out.backward();
    compiled.valueAndGrad(new double[0], new double[] {1.0}, grad);

    assertEquals(w.grad(), grad[0], 0.0);
  }

  /** Each default pass alone keeps every sink of forward and gradient programs. */
  @Property(tries = 400)
  void eachPass_nonFiniteOperands_keepsEveryValue(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    SplittableRandom random = new SplittableRandom(seed);
    RandomGraphs.Sample s = RandomGraphs.wild(random, leaves, ops);
    Program traced = Tracer.trace(List.of(s.output()), List.of(), s.leaves());
    Program gradient = Reverse.differentiate(traced, false, false);
    double[] p = point(random, leaves);

    for (Passes.Pass pass : Passes.DEFAULT) {
      for (Program program : List.of(traced, gradient)) {
        double[] before = run(program, p);
        double[] after = run(pass.run().apply(program), p);

        Oracle.assertSameNumbers(before, after, pass.name() + " on\n" + program);
      }
    }
  }

  /** The README's promise: default mode gives the interpreter's numbers, up to the sign of zero. */
  @Property(tries = 600)
  void compile_nonFinitePoints_defaultSameNumbersExactSameBits(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int leaves,
      @ForAll @IntRange(min = 1, max = 80) int ops) {
    SplittableRandom random = new SplittableRandom(seed);
    Oracle.RandomCase c = Oracle.RandomCase.draw(random, leaves, ops);
    RandomGraphs.Sample s = c.sample();
    List<Value> inputs = c.inputs();
    List<Value> params = c.params();
    int split = inputs.size();
    CompiledGraph fast = Jit.compile(s.output(), inputs, params);
    CompiledGraph exact =
        Jit.compile(List.of(s.output()), inputs, params, JitOptions.defaults().withExact(true));
    double[] all = point(random, leaves);
    double[] x = Arrays.copyOfRange(all, 0, split);
    double[] p = Arrays.copyOfRange(all, split, leaves);

    double[] expected = Oracle.interpret(s.output(), inputs, params, x, p);

    Oracle.assertSameNumbers(expected, Oracle.compiled(fast, x, p), "default mode");
    Oracle.assertSameNumbers(
        new double[] {expected[0]}, new double[] {fast.forward(x, p)}, "default forward");
    Oracle.assertBitIdentical(expected, Oracle.compiled(exact, x, p), "exact mode");
  }

  /** A point where about half the leaves hold a special value and the rest a random one. */
  private static double[] point(SplittableRandom random, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] =
          random.nextBoolean() ? SPECIAL[random.nextInt(SPECIAL.length)] : random.nextDouble(-3, 3);
    }
    return v;
  }

  /** Runs {@code program} with no inputs: its outputs, then the gradients it adds to zeros. */
  private static double[] run(Program program, double[] params) {
    Interpreter interpreter = new Interpreter(program);
    double[] ws = new double[interpreter.workspaceSize()];
    double[] pg = new double[params.length];
    interpreter.run(new double[0], params, pg, null, ws);
    double[] out = Arrays.copyOf(ws, program.outputCount + pg.length);
    System.arraycopy(pg, 0, out, program.outputCount, pg.length);
    return out;
  }
}
