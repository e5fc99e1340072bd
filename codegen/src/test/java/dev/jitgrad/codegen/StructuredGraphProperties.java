package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Neuron;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Random graphs that mix structured parts, which the emitter rolls into loops (MLP layers, {@code
 * Value.dot}, wide sums), with irregular ones, against the interpreter at fresh random points.
 */
class StructuredGraphProperties {
  @Property(tries = 60)
  void compile_structuredAndIrregularGraph_agreesWithInterpreter(@ForAll long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Mixed m = new Mixed(random);
    CompiledGraph exact =
        Jit.compile(List.of(m.output), m.inputs, m.params, JitOptions.defaults().withExact(true));
    CompiledGraph fast = Jit.compile(m.output, m.inputs, m.params);
    CompiledGraph ir =
        Jit.compile(
            List.of(m.output),
            m.inputs,
            m.params,
            JitOptions.defaults().withBackend(JitOptions.Backend.IR_INTERPRETER));
    double[] x = random.doubles(m.inputs.size(), -2, 2).toArray();
    double[] p = random.doubles(m.params.size(), -2, 2).toArray();

    double[] expected = Oracle.interpret(m.output, m.inputs, m.params, x, p);

    Oracle.assertBitIdentical(expected, Oracle.compiled(exact, x, p), "exact mode");
    double[] optimised = Oracle.compiled(fast, x, p);
    Oracle.assertClose(expected, optimised, "default mode");
    Oracle.assertBitIdentical(
        Oracle.compiled(ir, x, p), optimised, "the same program, interpreted");
    Oracle.assertBitIdentical(
        new double[] {ir.forward(x, p)}, new double[] {fast.forward(x, p)}, "forward");
    assertTrue(fast.bytecode().contains("IF_ICMPLT"), "no loop in a graph with a long structure");
  }

  /** A random graph: inputs, then structured and irregular parts over what came before. */
  private static final class Mixed {
    final List<Value> inputs = new ArrayList<>();
    final List<Value> params = new ArrayList<>();
    final List<Value> pool = new ArrayList<>();
    final Value output;

    Mixed(SplittableRandom random) {
      int n = random.nextInt(100, 160);
      for (int i = 0; i < n; i++) {
        inputs.add(Value.of(0, "x" + i));
      }
      pool.addAll(inputs);
      layer(random, random.nextInt(8, 13), pool); // enough code to be rolled, read by the output
      List<Value> terms = new ArrayList<>(pool.subList(inputs.size(), pool.size()));
      for (int part = random.nextInt(1, 6); part > 0; part--) {
        if (random.nextBoolean()) {
          structure(random, 1);
        } else {
          irregular(random, random.nextInt(1, 8));
        }
      }
      for (int i = random.nextInt(1, 4); i > 0; i--) {
        terms.add(pool.get(random.nextInt(inputs.size(), pool.size())));
      }
      terms.add(pool.get(pool.size() - 1));
      output = Value.sum(terms);
    }

    /** Adds an MLP layer, a dot or a wide sum over a run of at least {@code min} values. */
    private void structure(SplittableRandom random, int min) {
      int length = random.nextInt(min, Math.max(min, pool.size()) + 1);
      int start = random.nextInt(0, pool.size() - Math.min(length, pool.size()) + 1);
      List<Value> run = new ArrayList<>();
      for (int i = 0; i < length; i++) {
        run.add(pool.get((start + i) % pool.size()));
      }
      switch (random.nextInt(3)) {
        case 0 -> layer(random, random.nextInt(1, 5), run);
        case 1 -> pool.add(Value.dot(newParams(length), run));
        default -> {
          List<Value> w = newParams(length);
          List<Value> terms = new ArrayList<>();
          for (int i = 0; i < length; i++) {
            terms.add(random.nextBoolean() ? run.get(i).mul(w.get(i)) : run.get(i).tanh());
          }
          pool.add(Value.sum(terms));
        }
      }
    }

    /** Adds {@code width} neurons over {@code run}. */
    private void layer(SplittableRandom random, int width, List<Value> run) {
      List<Value> in = List.copyOf(run);
      for (int i = 0; i < width; i++) {
        Neuron neuron = new Neuron(in.size(), random.nextBoolean(), random);
        params.addAll(neuron.parameters());
        pool.add(neuron.apply(in));
      }
    }

    private List<Value> newParams(int count) {
      List<Value> w = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        w.add(Value.of(0, "w" + params.size()));
        params.add(w.get(i));
      }
      return w;
    }

    /** Adds {@code ops} random operations on random values of the pool. */
    private void irregular(SplittableRandom random, int ops) {
      for (int i = 0; i < ops; i++) {
        Value a = pool.get(random.nextInt(pool.size()));
        Value b = pool.get(random.nextInt(pool.size()));
        pool.add(
            switch (random.nextInt(9)) {
              case 0 -> a.add(b);
              case 1 -> a.sub(b);
              case 2 -> a.mul(b);
              case 3 -> a.div(b.mul(b).add(1));
              case 4 -> a.tanh();
              case 5 -> a.relu();
              case 6 -> a.sigmoid();
              case 7 -> a.pow(2);
              default -> a.neg().softplus();
            });
      }
    }
  }
}
