package dev.jitgrad.codegen;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The compiler's stages, in the order they run; each is a function on plain data, tested alone.
 *
 * <pre>
 *  1. trace              Value graph → program, n-ary sums kept as SUM,         {@link Tracer}
 *                        neurons' sums as DOT
 *  2. before reverse     constant folding, dead code                            {@link Passes}
 *  3. reverse mode       program → program + adjoint program, a DOT's weight    {@link Reverse}
 *                        gradients as one UPDATE
 *  4. passes             folding, identities, common subexpressions             {@link Passes}
 *  5. expand n-ary       SUM → left-to-right chains of ADD; DOT, UPDATE kept    {@link Lowering}
 *                        whole where layout takes them so; dead code dropped
 *  6. layout             inlining into stack expressions, workspace slots       {@link Layout}
 *                        (a whole DOT's or UPDATE's as for its expansion)
 *  7. statements         one token list per statement to write (a whole DOT's   {@link Tape}
 *                        or UPDATE's those of its expansion)
 *  8. loops              repeating runs of statements rolled into loops         {@link Rolling}
 *  9. emit               bytecode in chunk methods and classes                  {@link Emitter}
 *                        (the forward program's on its first call)              {@link #later}
 *     and lanes          the same statements over blocks of rows, for batches,  {@link LaneEmitter}
 *                        on the first batch call                                {@link LazyLanes}
 * 10. load               hidden classes → a kernel                              {@link Emitter#load}
 * </pre>
 *
 * <p>A saved graph ({@link SavedGraph}) holds the programs after stage 5, fully expanded ({@link
 * GraphPrograms#expanded}); loading it runs only stages 6 to 10 ({@link #load}).
 *
 * <p>The forward program is stages 4 and 5 applied to the output of stage 2. Two decisions fix the
 * order. N-ary sums stay whole through the passes and reverse mode, which is where the compiler
 * spends its time: a sum of n terms is one instruction, and its adjoint passes to each term
 * unchanged, in operand order, exactly as the engine's rule does, instead of n - 1 adds with n - 1
 * adjoints. A neuron's sum of products of weights stays whole too, as one DOT (its weights read as
 * a run of params, not as n reads and n products), and a first layer's weight gradients as one
 * UPDATE per neuron: at 784-64-10 the front half sees about 1,000 forward instructions instead of
 * 102,662, and compiling took 0.69–0.80× the time (benchmarks/RESULTS.md, "sixth session"). Stage 5
 * then expands each sum into the adds the engine runs, and keeps each DOT and UPDATE whole where
 * layout can lay out its expansion without holding it ({@link Layout#takenWhole}): layout and
 * statements write exactly the statements the expanded program gives, so the code is the same to
 * the byte, and no stage holds the 300,000 expanded instructions of 784-64-10's gradient
 * (benchmarks/RESULTS.md, "seventh session"). Reverse mode differentiates the program after only
 * folding and dead code ({@link Passes#BEFORE_REVERSE}); identities and merging run after it,
 * because replacing a node by its operand or merging two uses regroups the adjoint sums and would
 * change the engine's numbers. In exact mode stage 2 runs only dead-code elimination and stage 4
 * nothing.
 *
 * <p>Stages 7 to 9 run inside {@link Emitter#emit}, so every program that is emitted, however it
 * was made, gets its loops. Rolling changes how the statements are written, never which run or in
 * what order, so it cannot change a result.
 *
 * <p>With the system property {@code jitgrad.verifyIr} set, {@link Verifier} checks the program
 * after every stage and pass.
 */
final class Compiler {
  static final boolean VERIFY = Boolean.getBoolean("jitgrad.verifyIr");

  private Compiler() {}

  /**
   * What compiling a graph produced: the program reverse mode differentiates (kept so the input
   * gradient can be compiled later; null for a loaded graph), the forward program's code (per-row
   * and lanes, each made on first use), the gradient kernel, its code and a summary.
   */
  record Compiled(
      Program differentiable,
      Lazy<Built> forward,
      LazyLanes forwardLanes,
      Built gradient,
      int gradientSize,
      Summary summary) {}

  /**
   * What a compiled graph's {@code toString} reports, as numbers: formatted only when asked, since
   * the first {@code String.format} in a JVM loads locale data, tens of milliseconds in a fresh
   * one. {@code traced} is -1 for a loaded graph.
   */
  record Summary(long traced, int forward, int gradient, long nanos) {
    static Summary of(long traced, int forward, int gradient, long start) {
      return new Summary(traced, forward, gradient, System.nanoTime() - start);
    }

    /**
     * Returns the summary with {@code code}, the code generated so far (none on the IR
     * interpreter), and whether the forward program's per-row code is still to be made.
     */
    String text(List<Emitter.Code> code, boolean forwardPending) {
      int chunks = 0;
      int classes = 0;
      long bytes = 0;
      for (Emitter.Code c : code) {
        chunks += c.chunks();
        classes += c.classes().size();
        bytes += c.bytes();
      }
      String made =
          code.isEmpty()
              ? "IR interpreter"
              : String.format(
                  Locale.ROOT,
                  "%d chunks in %d classes, %d bytes of bytecode%s",
                  chunks,
                  classes,
                  bytes,
                  forwardPending ? " (the forward program's on its first call)" : "");
      return traced < 0
          ? String.format(
              Locale.ROOT,
              "loaded forward program %d nodes, gradient program %d nodes; %s; loaded in %.1f ms",
              forward,
              gradient,
              made,
              nanos / 1e6)
          : String.format(
              Locale.ROOT,
              "traced %d IR nodes, %d after passes; gradient program %d nodes; %s; compiled in %.1f"
                  + " ms",
              traced,
              forward,
              gradient,
              made,
              nanos / 1e6);
    }
  }

  /**
   * A program made runnable, with its bytecode (null on the IR interpreter) and its lane kernel,
   * built on first use ({@link LazyLanes#NONE} on the IR interpreter, when not asked for, or when
   * the program is too small for lanes).
   */
  record Built(Kernel kernel, Emitter.Code code, LazyLanes lanes) {}

  /** Runs every stage on a checked graph. */
  static Compiled compile(
      List<Value> outputs, List<Value> inputs, List<Value> params, JitOptions options) {
    return compile(outputs, Tracer.listed(inputs, params), options);
  }

  /** Runs every stage on a checked graph whose listed leaves are {@code listed}. */
  static Compiled compile(List<Value> outputs, Tracer.Listed listed, JitOptions options) {
    long start = System.nanoTime();
    Program traced = verified(Tracer.trace(outputs, listed), "trace");
    long tracedSize = Lowering.expandedSize(traced); // as counted when the tracer expanded sums
    checkSize("the traced graph", tracedSize, options);
    Program differentiable = run(Passes.beforeReverse(options), traced);
    traced = null; // compile runs once, interpreted, where a local keeps its program to the end
    Passes.Open passes = new Passes.Open(differentiable, options);
    Program forward = expanded(verified(passes.program(), "passes"));
    int forwardSize = size(forward);
    Lazy<Built> f = later(forward, options);
    LazyLanes forwardLanes = laneCode(forward, options, null);
    forward = null; // from here only its code, until made, holds the program
    Program gradient =
        checkedGradient(
            expanded(verified(passes.extend(reversed(differentiable, false, options)), "passes")),
            false,
            options);
    passes = null; // the forward program's rewrite and merge table, kept for the gradient's
    int gradientSize = size(gradient);
    Built g = build(gradient, options, true);
    Summary summary = Summary.of(tracedSize, forwardSize, gradientSize, start);
    return new Compiled(differentiable, f, forwardLanes, g, gradientSize, summary);
  }

  /**
   * Runs stages 6 to 8 on saved, already optimised programs; no pass runs, so the saved arithmetic
   * is what runs. The result's {@code differentiable} is null: a saved graph has none.
   */
  static Compiled load(GraphPrograms.Saved saved, JitOptions options) {
    long start = System.nanoTime();
    Lazy<Built> f = later(saved.forward(), options);
    LazyLanes forwardLanes = laneCode(saved.forward(), options, null);
    Built g = build(saved.gradient(), options, true);
    int forward = size(saved.forward());
    int gradient = size(saved.gradient());
    Summary summary = Summary.of(-1, forward, gradient, start);
    return new Compiled(null, f, forwardLanes, g, gradient, summary);
  }

  /** Stages 4 and 5 on the differentiable program: the optimised forward program. */
  static Program forwardProgram(Program differentiable, JitOptions options) {
    return expanded(run(Passes.forOptions(options), differentiable));
  }

  /**
   * Stages 3 to 5: the optimised gradient program (with input gradients if asked). {@link #compile}
   * gets the same program going on from the forward program's passes ({@link Passes.Open}).
   */
  static Program gradientProgram(Program differentiable, boolean inputGrads, JitOptions options) {
    Program reversed = reversed(differentiable, inputGrads, options);
    return checkedGradient(
        expanded(run(Passes.forOptions(options), reversed)), inputGrads, options);
  }

  private static Program reversed(Program differentiable, boolean inputGrads, JitOptions options) {
    return verified(
        Reverse.differentiate(differentiable, inputGrads, options.exact()), "reverse mode");
  }

  private static Program checkedGradient(Program p, boolean inputGrads, JitOptions options) {
    checkSize(inputGrads ? "the input-gradient program" : "the gradient program", size(p), options);
    return p;
  }

  /** Stage 5 ({@link Lowering#lower}): DOTs and UPDATEs that layout takes whole stay whole. */
  private static Program expanded(Program p) {
    return verified(Lowering.lower(p), "expand n-ary");
  }

  /**
   * Returns the size of lowered or saved program {@code p} expanded ({@link Lowering#expandNary}):
   * what compiled graphs report and size limits count, whether or not its DOTs and UPDATEs were
   * kept whole. Such a program has no other n-ary instruction, so without DOTs and UPDATEs it is
   * its size; lowering checked the bound.
   */
  static int size(Program p) {
    return p.structured ? (int) Lowering.expandedSize(p) : p.size;
  }

  /**
   * Programs with fewer instructions than this run batches row by row, without lane code. Lanes pay
   * off once a program's work outweighs copying a block's rows into lanes and the loops' overhead.
   * Measured on the reference machine, one thread: in step 2 (benchmarks/RESULTS-v2-progress.md)
   * the moons step (2-16-16-1, a 2,543-instruction gradient program) went from 26 to 31 µs on
   * lanes, so the threshold was 5,000; with chains, row-blocked updates and a batch's short last
   * block run row by row ({@link LaneKernel#MIN_ROWS}), plain lanes ran it in 21.0–21.6 µs against
   * 25.3 µs row by row, and the 2-16-10 batch (1,666 instructions) in 86 against 108 µs
   * (benchmarks/RESULTS.md, "Codegen v2 at the end of the fifth session"); vector lanes ({@link
   * LaneVectors}) ran both faster too. The threshold sits under the smallest size measured; the
   * system property {@code jitgrad.laneMinInstructions} overrides it.
   */
  static final int DEFAULT_LANE_MIN_INSTRUCTIONS = 1500;

  static final int LANE_MIN_INSTRUCTIONS =
      Integer.getInteger("jitgrad.laneMinInstructions", DEFAULT_LANE_MIN_INSTRUCTIONS);

  /** Returns whether a program of {@code size} instructions gets lane code. */
  static boolean wantsLanes(int size, int minInstructions) {
    return size >= minInstructions;
  }

  /** Stages 6 to 10, or the IR interpreter when the options ask for it. */
  static Built build(Program p, JitOptions options) {
    return build(p, options, false);
  }

  /**
   * Stages 6 to 10, and with {@code lanes} the lane kernel ({@link LaneEmitter}) of the same
   * statements, emitted on first use ({@link LazyLanes}); or the IR interpreter when the options
   * ask for it.
   */
  static Built build(Program p, JitOptions options, boolean lanes) {
    if (options.backend() == JitOptions.Backend.IR_INTERPRETER) {
      return new Built(new Interpreter(p), null, LazyLanes.NONE);
    }
    Layout layout = new Layout(p);
    Tape tape = Tape.of(p, layout);
    Emitter.Code code = Emitter.emit(p, layout, tape, Rolling.MIN_PROGRAM_BYTES);
    LazyLanes laneCode = lanes ? laneCode(p, options, tape.loops) : LazyLanes.NONE;
    return new Built(Emitter.load(code), code, laneCode);
  }

  /**
   * Stages 6 to 10 on {@code p} on first use, without lanes ({@link #laneCode} makes those): a
   * graph compiled to train runs its gradient program alone, so its forward program's per-row code
   * is made by the first call that needs it, as lanes are. Every pass and size check has run on
   * {@code p} by then, so compiling still fails where it did; only the code comes later. In a fresh
   * JVM, compiling 784-64-10 took 0.93× the time and the 100k-node random graph 0.89× (0.95× and
   * 0.98× in a noisier run): less than the work skipped, since the gradient program's back end,
   * which ran warm after the forward program's, now runs cold (benchmarks/RESULTS.md, "Codegen v2,
   * sixth session").
   */
  static Lazy<Built> later(Program p, JitOptions options) {
    return new Lazy<>(new Later(p, options));
  }

  /** Builds a program's code when first asked; a class, not a lambda (see {@code Passes.Run}). */
  private record Later(Program p, JitOptions options) implements Supplier<Built> {
    @Override
    public Built get() {
      return build(p, options, false);
    }
  }

  /**
   * The lane kernel of {@code p}, made on first use, when the options and its size call for one;
   * {@code loops} are its statements' loops if found already (null: searched then).
   */
  static LazyLanes laneCode(Program p, JitOptions options, List<Rolling.Loop> loops) {
    return options.backend() == JitOptions.Backend.BYTECODE
            && wantsLanes(size(p), LANE_MIN_INSTRUCTIONS)
        ? LazyLanes.of(p, loops)
        : LazyLanes.NONE;
  }

  /** Stages 6 to 9: the bytecode of {@code p}. */
  static Emitter.Code emit(Program p) {
    return Emitter.emit(p, new Layout(p));
  }

  /** Returns the optimised forward and gradient programs as text, for {@code ir()}. */
  static String ir(GraphPrograms programs) {
    return "forward:\n"
        + Lowering.expandNary(programs.forward())
        + "gradient:\n"
        + Lowering.expandNary(programs.gradient());
  }

  /**
   * Returns the class files of the forward, gradient and (if asked) input-gradient programs,
   * generated again from {@code source}, or none on the IR interpreter.
   */
  static List<byte[]> classBytes(
      GraphPrograms source, JitOptions options, boolean withInputGradient) {
    if (options.backend() == JitOptions.Backend.IR_INTERPRETER) {
      return List.of();
    }
    List<Program> programs = new ArrayList<>();
    programs.add(source.forward());
    programs.add(source.gradient());
    if (withInputGradient) {
      programs.add(source.inputGradient());
    }
    List<byte[]> classes = new ArrayList<>();
    for (Program p : programs) {
      classes.addAll(emit(p).classes());
    }
    return classes;
  }

  /** Runs {@code passes} in order, verifying after each. */
  static Program run(List<Passes.Pass> passes, Program p) {
    for (Passes.Pass pass : passes) {
      p = verified(pass.run().apply(p), pass.name());
    }
    return p;
  }

  private static Program verified(Program p, String stage) {
    return VERIFY ? Verifier.verify(p, stage) : p;
  }

  private static void checkSize(String what, long size, JitOptions options) {
    if (size > options.maxNodes()) {
      throw new GraphTooLargeException(what, size, options.maxNodes());
    }
  }
}
