package dev.jitgrad.codegen;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Random graphs built around wide sums and dot products, which stay whole n-ary instructions
 * through the passes and reverse mode: terms repeated within a sum, shared between sums, signed
 * zeros and constants among the terms, one-term sums and sums of sums. Compiled, they must give
 * {@code backward()}'s numbers in default mode and its bits in exact mode, at fresh points.
 */
class WideSumTest {
  @Property(tries = 150)
  void compile_wideSumsAndDots_sameNumbersAsBackwardAndExactBits(@ForAll long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Graph g = new Graph(random);
    CompiledGraph fast = Jit.compile(g.output, g.inputs, g.params);
    CompiledGraph exact =
        Jit.compile(List.of(g.output), g.inputs, g.params, JitOptions.defaults().withExact(true));
    CompiledGraph ir =
        Jit.compile(
            List.of(g.output),
            g.inputs,
            g.params,
            JitOptions.defaults().withBackend(JitOptions.Backend.IR_INTERPRETER));

    for (int call = 0; call < 2; call++) {
      double[] x = random.doubles(g.inputs.size(), -2, 2).toArray();
      double[] p = random.doubles(g.params.size(), -2, 2).toArray();

      double[] expected = Oracle.interpret(g.output, g.inputs, g.params, x, p);

      Oracle.assertSameNumbers(expected, Oracle.compiled(fast, x, p), "default mode");
      Oracle.assertBitIdentical(expected, Oracle.compiled(exact, x, p), "exact mode");
      Oracle.assertBitIdentical(
          Oracle.compiled(fast, x, p), Oracle.compiled(ir, x, p), "IR interpreter");
    }
  }

  /** A random graph over inputs and params whose every step is a wide sum or dot. */
  private static final class Graph {
    final List<Value> inputs = new ArrayList<>();
    final List<Value> params = new ArrayList<>();
    final Value output;

    Graph(SplittableRandom random) {
      List<Value> pool = new ArrayList<>();
      for (int i = random.nextInt(1, 12); i > 0; i--) {
        Value x = Value.of(0);
        inputs.add(x);
        pool.add(x);
      }
      for (int i = random.nextInt(1, 12); i > 0; i--) {
        Value w = Value.of(0);
        params.add(w);
        pool.add(w);
      }
      for (int step = random.nextInt(1, 10); step > 0; step--) {
        int width = random.nextInt(1, 40);
        List<Value> terms = new ArrayList<>();
        for (int t = 0; t < width; t++) {
          terms.add(term(random, pool));
        }
        Value s;
        if (random.nextInt(3) == 0) {
          List<Value> weights = new ArrayList<>();
          for (int t = 0; t < width; t++) {
            weights.add(pick(random, pool));
          }
          s = Value.dot(weights, terms);
        } else {
          s = Value.sum(terms);
        }
        pool.add(random.nextBoolean() ? s.tanh() : s);
      }
      List<Value> last = new ArrayList<>();
      for (int t = random.nextInt(1, 6); t > 0; t--) {
        last.add(pick(random, pool));
      }
      last.add(pool.get(pool.size() - 1));
      output = Value.sum(last);
    }

    /** Returns a term: an earlier value (often the same one twice), a constant or a product. */
    private static Value term(SplittableRandom random, List<Value> pool) {
      switch (random.nextInt(6)) {
        case 0:
          return Value.of(random.nextBoolean() ? -0.0 : 0.0);
        case 1:
          return Value.of(random.nextDouble(-1, 1));
        case 2:
          return pick(random, pool).mul(pick(random, pool));
        case 3:
          return pick(random, pool).sigmoid();
        default:
          return pick(random, pool);
      }
    }

    /** Favours the latest values, so sums nest and share terms. */
    private static Value pick(SplittableRandom random, List<Value> pool) {
      int n = pool.size();
      return random.nextBoolean()
          ? pool.get(n - 1 - random.nextInt(Math.min(n, 3)))
          : pool.get(random.nextInt(n));
    }
  }
}
