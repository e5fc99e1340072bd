package dev.jitgrad.codegen;

import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Thousands of random DAGs mixing every op with shared subexpressions, compiled three ways and
 * called at several points, so the branches the graph takes change between calls.
 */
class RandomDagProperties {
  @Property(tries = 1500)
  void compile_randomDag_agreesWithInterpreter(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int leaves,
      @ForAll @IntRange(min = 1, max = 80) int ops) {
    SplittableRandom random = new SplittableRandom(seed);
    Oracle.RandomCase c = Oracle.RandomCase.draw(random, leaves, ops);
    RandomGraphs.Sample s = c.sample();
    List<Value> inputs = c.inputs();
    List<Value> params = c.params();
    CompiledGraph exact =
        Jit.compile(List.of(s.output()), inputs, params, JitOptions.defaults().withExact(true));
    CompiledGraph fast = Jit.compile(s.output(), inputs, params);
    CompiledGraph ir =
        Jit.compile(
            List.of(s.output()),
            inputs,
            params,
            JitOptions.defaults().withBackend(JitOptions.Backend.IR_INTERPRETER));
    // Fresh points, not the one the graph was traced at: a compiler that baked leaves in fails,
    // and so does one that baked in the branches of max, min, abs, clamp or where taken there.
    for (int call = 0; call < 3; call++) {
      double[] x = random.doubles(inputs.size(), -3, 3).toArray();
      double[] p = random.doubles(params.size(), -3, 3).toArray();

      double[] expected = Oracle.interpret(s.output(), inputs, params, x, p);

      Oracle.assertBitIdentical(expected, Oracle.compiled(exact, x, p), "exact mode");
      double[] optimised = Oracle.compiled(fast, x, p);
      Oracle.assertClose(expected, optimised, "default mode");
      Oracle.assertBitIdentical(optimised, Oracle.compiled(ir, x, p), "IR interpreter");
      Oracle.assertClose(new double[] {expected[0]}, new double[] {fast.forward(x, p)}, "forward");
    }
  }
}
