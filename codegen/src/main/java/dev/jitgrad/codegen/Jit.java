package dev.jitgrad.codegen;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.internal.IdentityIndex;
import java.util.List;
import java.util.Objects;

/**
 * Compiles {@link Value} graphs into {@link CompiledGraph}s.
 *
 * <p>The pipeline's stages are listed in order in {@code Compiler}: trace the graph into IR, run
 * the passes, differentiate in reverse mode (IR to IR), run the passes again, emit bytecode with
 * ASM and load it as hidden classes, which are unloaded when the compiled graph is garbage.
 *
 * <p>Leaves listed as {@code inputs} change per call, leaves listed as {@code params} are what
 * training updates; every other leaf is a constant, baked in with the value it has at compile time.
 * Changing the graph or its constant leaves later does not affect the compiled graph.
 *
 * <p>The first call in a JVM, whether or not its arguments pass their checks, starts one daemon
 * thread, {@code jitgrad-class-preloader}, which loads the compiler's later classes ahead of their
 * use and ends; nothing waits for it, and what it throws goes nowhere.
 */
public final class Jit {
  private Jit() {}

  /**
   * Compiles {@code loss} as a function of {@code inputs} and {@code params}, with default options.
   *
   * @throws IllegalArgumentException if a listed value is not a leaf, or a leaf is listed twice
   * @throws NullPointerException if an argument or list element is null
   * @throws GraphTooLargeException if the graph is larger than the compiler accepts
   */
  public static CompiledGraph compile(Value loss, List<Value> inputs, List<Value> params) {
    return compile(
        List.of(Objects.requireNonNull(loss, "loss")), inputs, params, JitOptions.defaults());
  }

  /**
   * Compiles several {@code outputs} (gradients are of output 0) with the given options.
   *
   * @throws IllegalArgumentException if {@code outputs} is empty, a listed value is not a leaf, or
   *     a leaf is listed twice
   * @throws NullPointerException if an argument or list element is null
   * @throws GraphTooLargeException if the graph is larger than {@code options.maxNodes()}
   */
  public static CompiledGraph compile(
      List<Value> outputs, List<Value> inputs, List<Value> params, JitOptions options) {
    Objects.requireNonNull(options, "options");
    ClassPreloader.start();
    Value[] out = elements(outputs, "outputs");
    if (out.length == 0) {
      throw new IllegalArgumentException("outputs is empty, expected at least one value");
    }
    Value[] in = elements(inputs, "inputs");
    Value[] ps = elements(params, "params");
    IdentityIndex positions = new IdentityIndex(in.length + ps.length); // the tracer's, made once
    list(in, "inputs", 0, positions, in.length);
    list(ps, "params", in.length, positions, in.length);
    return CompiledGraph.compile(
        List.of(out), new Tracer.Listed(positions, in.length, ps), options);
  }

  /**
   * Returns the elements of {@code values}, checked not null. The checks read arrays, not lists: a
   * first compile runs them interpreted, where each {@code List.get} is a call, and with 50,890
   * params three passes over the lists took about a tenth of it (benchmarks/RESULTS.md, "tenth
   * session").
   */
  private static Value[] elements(List<Value> values, String name) {
    Value[] elements = Objects.requireNonNull(values, name).toArray(new Value[0]);
    for (int i = 0; i < elements.length; i++) {
      if (elements[i] == null) {
        throw new NullPointerException(name + "[" + i + "] is null");
      }
    }
    return elements;
  }

  /**
   * Gives each of {@code values} its position in {@code positions}, from {@code offset} on,
   * checking that it is a leaf listed nowhere before. Names such as {@code params[3]} are made only
   * for a message: made for each of 50,890 params, they took 90–145 ms in a fresh JVM.
   */
  private static void list(
      Value[] values, String name, int offset, IdentityIndex positions, int inputCount) {
    for (int i = 0; i < values.length; i++) {
      Value v = values[i];
      if (!v.isLeaf()) {
        throw new IllegalArgumentException(
            name + "[" + i + "] is computed by " + v.op() + ", expected a leaf (Value.of)");
      }
      int first = positions.putIfAbsent(v, offset + i);
      if (first != -1) {
        throw new IllegalArgumentException(
            name
                + "["
                + i
                + "] is the same leaf as "
                + (first < inputCount
                    ? "inputs[" + first + "]"
                    : "params[" + (first - inputCount) + "]"));
      }
    }
  }
}
