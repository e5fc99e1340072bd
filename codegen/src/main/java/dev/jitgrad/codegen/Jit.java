package dev.jitgrad.codegen;

import dev.jitgrad.engine.Value;
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
    checkNoNulls(outputs, "outputs");
    if (outputs.isEmpty()) {
      throw new IllegalArgumentException("outputs is empty, expected at least one value");
    }
    checkNoNulls(inputs, "inputs");
    checkNoNulls(params, "params");
    Tracer.Listed listed = Tracer.listed(inputs, params); // the tracer's index, made once
    checkLeaves(inputs, "inputs", 0, listed);
    checkLeaves(params, "params", inputs.size(), listed);
    return CompiledGraph.compile(List.copyOf(outputs), listed, options);
  }

  private static void checkNoNulls(List<Value> values, String name) {
    Objects.requireNonNull(values, name);
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i) == null) {
        throw new NullPointerException(name + "[" + i + "] is null");
      }
    }
  }

  /**
   * Checks that {@code values}, listed from position {@code offset} on, are leaves listed nowhere
   * before. Names such as {@code params[3]} are made only for a message: made for each of 50,890
   * params, they took 90–145 ms in a fresh JVM.
   */
  private static void checkLeaves(
      List<Value> values, String name, int offset, Tracer.Listed listed) {
    boolean repeats = !listed.distinct(); // a leaf listed twice
    for (int i = 0; i < values.size(); i++) {
      Value v = values.get(i);
      if (!v.isLeaf()) {
        throw new IllegalArgumentException(
            name + "[" + i + "] is computed by " + v.op() + ", expected a leaf (Value.of)");
      }
      int first = repeats ? listed.positions().get(v) : offset + i;
      if (first != offset + i) {
        throw new IllegalArgumentException(
            name
                + "["
                + i
                + "] is the same leaf as "
                + (first < listed.inputCount()
                    ? "inputs[" + first + "]"
                    : "params[" + (first - listed.inputCount()) + "]"));
      }
    }
  }
}
