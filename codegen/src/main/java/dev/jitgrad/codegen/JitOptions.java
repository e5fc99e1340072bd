package dev.jitgrad.codegen;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How {@link Jit#compile(java.util.List, java.util.List, java.util.List, JitOptions)} compiles.
 *
 * @param exact whether to run only dead-code elimination, so results are bit-identical to {@code
 *     Value.backward()}; by default jitgrad also folds constants, applies algebraic identities and
 *     merges common subexpressions, which changes no number: outputs and gradients equal the
 *     interpreter's ({@code ==}, or both NaN), though a zero gradient may be -0.0 for +0.0
 * @param backend what runs the optimised program
 * @param maxNodes the largest program, in IR instructions (forward and backward together), that
 *     compiling accepts before throwing {@link GraphTooLargeException}
 * @param dumpDirectory where to write the generated {@code .class} files for {@code javap}, or
 *     null; the system property {@code jitgrad.dumpClasses} sets it too
 */
public record JitOptions(boolean exact, Backend backend, int maxNodes, Path dumpDirectory) {
  /** What runs a compiled program. */
  public enum Backend {
    /** Straight-line bytecode in generated hidden classes: the fast path. */
    BYTECODE,
    /** The IR interpreter: no code generation, for comparison and debugging. */
    IR_INTERPRETER
  }

  /** The largest program accepted by default: 200 million IR instructions. */
  public static final int DEFAULT_MAX_NODES = 200_000_000;

  /**
   * Checks the options.
   *
   * @throws IllegalArgumentException if {@code maxNodes} is not positive
   * @throws NullPointerException if {@code backend} is null
   */
  public JitOptions {
    Objects.requireNonNull(backend, "backend");
    if (maxNodes <= 0) {
      throw new IllegalArgumentException("maxNodes must be positive, got " + maxNodes);
    }
  }

  /** Returns the defaults: optimised, bytecode, no dump (unless the system property says so). */
  public static JitOptions defaults() {
    String dump = System.getProperty("jitgrad.dumpClasses");
    return new JitOptions(
        false, Backend.BYTECODE, DEFAULT_MAX_NODES, dump == null ? null : Path.of(dump));
  }

  /** Returns these options with {@code exact} changed. */
  public JitOptions withExact(boolean exact) {
    return new JitOptions(exact, backend, maxNodes, dumpDirectory);
  }

  /** Returns these options with {@code backend} changed. */
  public JitOptions withBackend(Backend backend) {
    return new JitOptions(exact, backend, maxNodes, dumpDirectory);
  }

  /** Returns these options with {@code maxNodes} changed. */
  public JitOptions withMaxNodes(int maxNodes) {
    return new JitOptions(exact, backend, maxNodes, dumpDirectory);
  }

  /** Returns these options with {@code dumpDirectory} changed (null for none). */
  public JitOptions withDumpDirectory(Path dumpDirectory) {
    return new JitOptions(exact, backend, maxNodes, dumpDirectory);
  }
}
