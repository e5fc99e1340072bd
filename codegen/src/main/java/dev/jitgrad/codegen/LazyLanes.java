package dev.jitgrad.codegen;

import java.util.List;
import java.util.function.Supplier;

/**
 * A program's lane kernel ({@link LaneEmitter}), emitted and loaded on first use rather than at
 * compile time, so a graph that never runs a batch never pays for it.
 *
 * <p>Until then it holds only the program and, for the gradient program, the loops the per-row
 * emitter found in its statements ({@link Tape#loops}); on first use it lays the program out and
 * writes its statements again, which gives the very statements the per-row code was made from, and
 * reuses the loops instead of searching them again (the forward program's per-row code is made on
 * its own first use, {@link Compiler#later}, so its lanes search them). Holding the layout and
 * statements instead would save that work but keep three times the memory until the first batch (at
 * 784-64-10, about 36 MB instead of 11: see benchmarks/RESULTS-v2-step6.md).
 *
 * <p>Threads that ask at the same time each build a kernel, without waiting for one another, and
 * one compare-and-set decides which is kept ({@link Lazy}); the holder then lets go of the program.
 * Lane code is an optimisation: if emitting or loading it fails, or the program has none, {@link
 * #get} returns null from then on and batches run row by row (with {@code jitgrad.verifyIr} set, as
 * in the tests, a {@link JitBugException} is thrown instead, so a lane emitter bug cannot hide
 * behind it).
 */
final class LazyLanes {
  /** Lanes for no program: the state once a program turned out to have none. */
  static final LazyLanes NONE = new LazyLanes(null);

  /** The lane kernel, null if there is none. */
  private final Lazy<LaneKernel> kernel;

  /** Lanes that {@code builder} makes on first use (null: the program has none). */
  LazyLanes(Supplier<LaneKernel> builder) {
    this.kernel = builder == null ? Lazy.of(null) : new Lazy<>(new Guarded(builder));
  }

  /**
   * Returns lanes built from {@code p} on first use, with {@code loops} as the loops of its
   * statements (null: search them then).
   */
  static LazyLanes of(Program p, List<Rolling.Loop> loops) {
    return new LazyLanes(new Build(p, loops));
  }

  /**
   * Builds the lanes of {@code p}; this and {@link Guarded} are classes, not lambdas, for a fresh
   * JVM's sake (see {@code Passes.Run}).
   */
  private record Build(Program p, List<Rolling.Loop> loops) implements Supplier<LaneKernel> {
    @Override
    public LaneKernel get() {
      Layout layout = new Layout(p);
      Tape tape = Tape.of(p, layout);
      tape.loops = loops;
      LaneEmitter.Code code = LaneEmitter.emit(p, layout, tape, LaneEmitter.MIN_ROLL_BYTES);
      return code == null ? null : LaneEmitter.load(code);
    }
  }

  /** Runs {@code builder} as {@link #build} does. */
  private record Guarded(Supplier<LaneKernel> builder) implements Supplier<LaneKernel> {
    @Override
    public LaneKernel get() {
      return build(builder);
    }
  }

  /** Returns the lane kernel, building it now if no call has yet, or null if there is none. */
  LaneKernel get() {
    return kernel.get();
  }

  /** Returns whether the lane kernel is still to be built (what it is built from is still held). */
  boolean pending() {
    return kernel.pending();
  }

  private static LaneKernel build(Supplier<LaneKernel> builder) {
    try {
      return builder.get();
    } catch (RuntimeException | LinkageError | OutOfMemoryError e) {
      if (Compiler.VERIFY && e instanceof JitBugException) {
        throw e; // under test, a lane emitter bug fails loudly instead of running row by row
      }
      return null;
    }
  }
}
