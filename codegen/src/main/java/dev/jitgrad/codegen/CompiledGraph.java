package dev.jitgrad.codegen;

import dev.jitgrad.codegen.BatchRunner.Workspace;
import dev.jitgrad.engine.Value;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectStreamException;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A graph compiled to bytecode over {@code double[]} arrays; made by {@link Jit}.
 *
 * <p>Immutable and safe to call from many threads at once. {@code forward} and {@code valueAndGrad}
 * allocate nothing once a thread has called them (each thread keeps a workspace, of plain arrays
 * only, so a garbage graph's classes can still be unloaded). Gradients are of output 0 and are
 * <em>added</em> into the caller's arrays, like {@code Value.backward()}, so a batch sums.
 */
public final class CompiledGraph implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Rows per block of {@link #valueAndGradBatch}: the unit of summation and of parallel work. */
  public static final int BATCH_BLOCK_ROWS = BatchRunner.BLOCK_ROWS;

  private static final AtomicLong IDS = new AtomicLong();

  private final long id = IDS.incrementAndGet();
  private final JitOptions options;
  private final int inputCount;
  private final int paramCount;
  private final int outputCount;

  /** The optimised programs: derived again on demand, or fixed by a saved file. */
  private final GraphPrograms programs;

  /** The forward program's per-row code, made on the first call that runs it. */
  private final Lazy<Compiler.Built> forward;

  /** The forward program's lane kernel, for {@link #forwardBatch}, made on its first call. */
  private final LazyLanes forwardLanes;

  private final Kernel gradient;
  private final Emitter.Code gradientCode;
  private volatile Kernel inputGradient;
  private final Compiler.Summary summary;
  private final ThreadLocal<Workspace> workspaces;
  private final BatchRunner batches;

  private CompiledGraph(JitOptions options, GraphPrograms programs, Compiler.Compiled compiled) {
    this.options = options;
    this.programs = programs;
    Program forwardProgram =
        compiled.differentiable() != null ? compiled.differentiable() : programs.forward();
    this.inputCount = forwardProgram.inputCount;
    this.paramCount = forwardProgram.paramCount;
    this.outputCount = forwardProgram.outputCount;
    this.forward = compiled.forward();
    this.forwardLanes = compiled.forwardLanes();
    this.gradient = compiled.gradient().kernel();
    this.gradientCode = compiled.gradient().code();
    this.summary = compiled.summary();
    int size = gradient.workspaceSize(); // a thread's workspace grows for the others on their use
    int inputs = inputCount;
    int params = paramCount;
    this.workspaces = new Workspaces(size, inputs, params);
    this.batches =
        new BatchRunner(
            gradient, compiled.gradient().lanes(), inputCount, paramCount, compiled.gradientSize());
  }

  /** Compiles a checked graph ({@link Compiler} has the stages) and dumps its classes if asked. */
  static CompiledGraph compile(List<Value> outputs, Tracer.Listed listed, JitOptions options) {
    Compiler.Compiled compiled = Compiler.compile(outputs, listed, options);
    return of(options, new GraphPrograms.Derived(compiled.differentiable(), options), compiled);
  }

  /** Makes the graph of {@code compiled} and dumps its classes if asked. */
  private static CompiledGraph of(
      JitOptions options, GraphPrograms programs, Compiler.Compiled compiled) {
    CompiledGraph graph = new CompiledGraph(options, programs, compiled);
    if (options.dumpDirectory() != null) {
      Emitter.Code f = compiled.forward().get().code();
      graph.dump(
          options.dumpDirectory(),
          "",
          f == null ? List.of() : List.of(f, compiled.gradient().code()));
    }
    return graph;
  }

  /** Returns the forward program's per-row kernel, making it if no call has yet. */
  Kernel forwardKernel() {
    return forward.get().kernel();
  }

  /** Returns whether the forward program's per-row code is still to be made, for tests. */
  boolean forwardPending() {
    return forward.pending();
  }

  /** Returns how many values {@code inputs} arrays hold. */
  public int inputCount() {
    return inputCount;
  }

  /** Returns how many values {@code params} and {@code paramGrad} arrays hold. */
  public int paramCount() {
    return paramCount;
  }

  /** Returns how many outputs the graph has. */
  public int outputCount() {
    return outputCount;
  }

  /**
   * Returns output 0 at {@code inputs} and {@code params}.
   *
   * @throws IllegalArgumentException if an array has the wrong length
   * @throws NullPointerException if an array is null
   */
  public double forward(double[] inputs, double[] params) {
    check(inputs, inputCount, "inputs");
    check(params, paramCount, "params");
    Kernel kernel = forwardKernel();
    double[] ws = workspace(kernel).ws;
    kernel.run(inputs, params, null, null, ws);
    return ws[0];
  }

  /**
   * Writes every output at {@code inputs} and {@code params} into {@code outputs}.
   *
   * @throws IllegalArgumentException if an array has the wrong length
   * @throws NullPointerException if an array is null
   */
  public void forward(double[] inputs, double[] params, double[] outputs) {
    check(inputs, inputCount, "inputs");
    check(params, paramCount, "params");
    check(outputs, outputCount, "outputs");
    Kernel kernel = forwardKernel();
    double[] ws = workspace(kernel).ws;
    kernel.run(inputs, params, null, null, ws);
    System.arraycopy(ws, 0, outputs, 0, outputCount);
  }

  /**
   * Returns output 0 and adds its gradient with respect to the params into {@code paramGrad}.
   *
   * @throws IllegalArgumentException if an array has the wrong length, or {@code paramGrad} is also
   *     {@code inputs} or {@code params}
   * @throws NullPointerException if an array is null
   */
  public double valueAndGrad(double[] inputs, double[] params, double[] paramGrad) {
    check(inputs, inputCount, "inputs");
    check(params, paramCount, "params");
    check(paramGrad, paramCount, "paramGrad");
    checkDistinct(paramGrad, "paramGrad", params, "params");
    checkDistinct(paramGrad, "paramGrad", inputs, "inputs");
    double[] ws = workspace(gradient).ws;
    gradient.run(inputs, params, paramGrad, null, ws);
    return ws[0];
  }

  /**
   * Returns output 0 and adds its gradient into {@code inputGrad} and {@code paramGrad}. The code
   * for input gradients is compiled on the first call.
   *
   * @throws IllegalArgumentException if an array has the wrong length, or a gradient array is also
   *     another argument
   * @throws NullPointerException if an array is null
   */
  public double valueAndGrad(
      double[] inputs, double[] params, double[] inputGrad, double[] paramGrad) {
    check(inputs, inputCount, "inputs");
    check(params, paramCount, "params");
    check(inputGrad, inputCount, "inputGrad");
    check(paramGrad, paramCount, "paramGrad");
    checkDistinct(paramGrad, "paramGrad", params, "params");
    checkDistinct(paramGrad, "paramGrad", inputs, "inputs");
    checkDistinct(inputGrad, "inputGrad", inputs, "inputs");
    checkDistinct(inputGrad, "inputGrad", params, "params");
    checkDistinct(inputGrad, "inputGrad", paramGrad, "paramGrad");
    Kernel kernel = inputGradient();
    double[] ws = workspace(kernel).ws;
    kernel.run(inputs, params, paramGrad, inputGrad, ws);
    return ws[0];
  }

  /**
   * Returns the sum of output 0 over {@code rows} samples and adds the summed gradient into {@code
   * paramGrad}. Sample {@code r}'s inputs are {@code inputRows[r·inputCount ..]} (row-major).
   *
   * <p>Rows are summed in blocks of {@link #BATCH_BLOCK_ROWS}, each in row order, and the blocks
   * are combined in block order, so the result is the same to the bit on any machine and with any
   * number of threads; blocks run on the common {@link ForkJoinPool} when the batch is large enough
   * to gain from it. For a large program the first call generates code that computes a block's rows
   * at once, with the same results.
   *
   * @throws IllegalArgumentException if {@code rows} is negative or more than {@code inputRows}
   *     holds, an array has the wrong length, or {@code paramGrad} is also {@code inputRows} or
   *     {@code params}
   * @throws NullPointerException if an array is null
   */
  public double valueAndGradBatch(
      double[] inputRows, int rows, double[] params, double[] paramGrad) {
    checkRows(inputRows, rows);
    check(params, paramCount, "params");
    check(paramGrad, paramCount, "paramGrad");
    checkDistinct(paramGrad, "paramGrad", params, "params");
    checkDistinct(paramGrad, "paramGrad", inputRows, "inputRows");
    return batches.run(inputRows, rows, params, paramGrad);
  }

  /**
   * Writes every output of {@code rows} samples into {@code outputRows}, row-major: sample {@code
   * r}'s inputs are {@code inputRows[r·inputCount ..]} and its outputs go to {@code
   * outputRows[r·outputCount ..]}, each equal to the bit to what {@link #forward(double[],
   * double[], double[])} gives for that row. Elements of {@code outputRows} after the last row are
   * left as they are.
   *
   * <p>Runs on the calling thread, {@link #BATCH_BLOCK_ROWS} rows at a time on code that computes
   * each operation for a whole block of rows at once; the first call generates that code.
   *
   * @throws IllegalArgumentException if {@code rows} is negative or more than {@code inputRows}
   *     holds, {@code params} has the wrong length, {@code outputRows} is shorter than {@code
   *     rows·outputCount}, or {@code outputRows} is also {@code inputRows} or {@code params}
   * @throws NullPointerException if an array is null
   */
  public void forwardBatch(double[] inputRows, int rows, double[] params, double[] outputRows) {
    checkRows(inputRows, rows);
    check(params, paramCount, "params");
    Objects.requireNonNull(outputRows, "outputRows");
    long needed = (long) rows * outputCount;
    if (outputRows.length < needed) {
      throw new IllegalArgumentException(
          "outputRows has length "
              + outputRows.length
              + ", expected at least "
              + needed
              + " for "
              + rows
              + " rows of "
              + outputCount
              + " outputs");
    }
    checkDistinct(outputRows, "outputRows", inputRows, "inputRows");
    checkDistinct(outputRows, "outputRows", params, "params");
    Workspace w = workspaces.get();
    LaneKernel lanes = rows > 0 ? forwardLanes.get() : null;
    for (int start = 0; start < rows; start += BATCH_BLOCK_ROWS) {
      int n = Math.min(BATCH_BLOCK_ROWS, rows - start);
      if (lanes != null && n >= LaneKernel.MIN_ROWS) {
        double[] array = w.lanes(lanes);
        lanes.gather(inputRows, start, n, array);
        lanes.run(array, params, null, n);
        for (int o = 0; o < outputCount; o++) {
          int from = lanes.output(o);
          for (int r = 0; r < n; r++) {
            outputRows[(start + r) * outputCount + o] = array[from + r];
          }
        }
      } else {
        Kernel kernel = forwardKernel(); // made here: batches on lanes need no per-row code
        double[] ws = workspace(kernel).ws;
        for (int r = start; r < start + n; r++) {
          System.arraycopy(inputRows, r * inputCount, w.row, 0, inputCount);
          kernel.run(w.row, params, null, null, ws);
          System.arraycopy(ws, 0, outputRows, r * outputCount, outputCount);
        }
      }
    }
  }

  /** Checks a batch's rows: {@code inputRows} holds at least {@code rows} rows. */
  private void checkRows(double[] inputRows, int rows) {
    Objects.requireNonNull(inputRows, "inputRows");
    long needed = (long) rows * inputCount;
    if (rows < 0 || needed > inputRows.length) {
      throw new IllegalArgumentException(
          "rows must be in [0, "
              + (inputCount == 0 ? "any" : inputRows.length / inputCount)
              + "] for inputRows of length "
              + inputRows.length
              + " and "
              + inputCount
              + " inputs per row, got "
              + rows);
    }
  }

  /**
   * Returns whether {@link #forwardBatch} runs on a lane kernel, building it if no call has yet,
   * for tests.
   */
  boolean hasForwardLanes() {
    return forwardLanes.get() != null;
  }

  /**
   * Returns whether {@link #valueAndGradBatch} runs on a lane kernel, building it if no call has
   * yet, for tests.
   */
  boolean hasBatchLanes() {
    return batches.hasLanes();
  }

  /** Returns whether lane code is still to be built: forward's, then the gradient's, for tests. */
  boolean[] lanesPending() {
    return new boolean[] {forwardLanes.pending(), batches.lanesPending()};
  }

  /** Returns whether a batch of {@code rows} is split over threads. */
  boolean isParallel(int rows) {
    return batches.isParallel(rows);
  }

  private Workspace workspace(Kernel kernel) {
    Workspace w = workspaces.get();
    if (w.ws.length < kernel.workspaceSize()) {
      w.ws = new double[kernel.workspaceSize()];
    }
    return w;
  }

  private Kernel inputGradient() {
    Kernel k = inputGradient;
    if (k == null) {
      synchronized (this) {
        k = inputGradient;
        if (k == null) {
          Compiler.Built built = Compiler.build(programs.inputGradient(), options);
          k = built.kernel();
          if (built.code() != null && options.dumpDirectory() != null) {
            dump(options.dumpDirectory(), "inputGradient_", List.of(built.code()));
          }
          inputGradient = k;
        }
      }
    }
    return k;
  }

  /** Rejects a gradient array that is also an argument array: results would depend on timing. */
  private static void checkDistinct(
      double[] grad, String gradName, double[] other, String otherName) {
    if (grad == other) {
      throw new IllegalArgumentException(gradName + " and " + otherName + " are the same array");
    }
  }

  private static void check(double[] array, int expected, String name) {
    java.util.Objects.requireNonNull(array, name);
    if (array.length != expected) {
      throw new IllegalArgumentException(
          name + " has length " + array.length + ", expected " + expected);
    }
  }

  /**
   * Returns the optimised IR as text: the forward program, then the gradient program that reverse
   * mode made of it (rebuilt on each call, so a compiled graph keeps no copy).
   */
  public String ir() {
    return Compiler.ir(programs);
  }

  /**
   * Returns the generated bytecode as text (ASM's {@code Textifier}), in the order of {@link
   * #classBytes()}, or a note that the IR interpreter runs this graph.
   */
  public String bytecode() {
    List<byte[]> classes = classBytes();
    return classes.isEmpty()
        ? "(no bytecode: this graph runs on the IR interpreter)\n"
        : Disassembly.text(classes);
  }

  /**
   * Returns the generated class files: forward code, gradient code, then the input-gradient code
   * once the four-argument {@code valueAndGrad} has compiled it (empty for the IR interpreter).
   * They are generated again from the optimised IR, which gives the same bytes, so a compiled graph
   * keeps no copy.
   */
  public List<byte[]> classBytes() {
    return Compiler.classBytes(programs, options, inputGradient != null);
  }

  /**
   * Writes this graph's optimised programs (forward, gradient and input gradient) to {@code out},
   * in the versioned, checksummed format that {@link #readFrom(InputStream, JitOptions)} reads;
   * {@code out} is flushed, not closed. A loaded graph runs the saved programs, so it computes the
   * same numbers as this one, to the bit on the same JDK and CPU kind (math intrinsics such as
   * {@code Math.exp} can differ between JDKs).
   *
   * @throws IOException if writing to {@code out} fails
   * @throws NullPointerException if {@code out} is null
   * @throws GraphTooLargeException if the input-gradient program, made now if no call has made it
   *     yet, is larger than this graph's {@code maxNodes}
   */
  public void writeTo(OutputStream out) throws IOException {
    Objects.requireNonNull(out, "out");
    SavedGraph.write(programs.expanded(), options.exact(), out);
  }

  /**
   * Reads a graph that {@link #writeTo} wrote, with the default options.
   *
   * @throws IOException if reading fails, or the stream is damaged, truncated, not a saved graph,
   *     from a newer jitgrad, or holds a program over the default {@code maxNodes}; the message
   *     says which
   * @throws NullPointerException if {@code in} is null
   */
  public static CompiledGraph readFrom(InputStream in) throws IOException {
    return readFrom(in, JitOptions.defaults());
  }

  /**
   * Reads a graph that {@link #writeTo} wrote, checks every field, and generates fresh code for its
   * programs; no compiler pass runs again, so the graph computes the saved arithmetic. The options'
   * backend, {@code maxNodes} and dump directory apply; {@code exact} does not (the file fixes the
   * program, and the loaded graph reports the saved graph's mode). Reads exactly the saved bytes,
   * leaving {@code in} after them, open.
   *
   * @throws IOException if reading fails, or the stream is damaged, truncated, not a saved graph,
   *     from a newer jitgrad, or invalid, with a message that says which; a program over {@code
   *     options.maxNodes()} gives one whose cause is a {@link GraphTooLargeException}
   * @throws NullPointerException if an argument is null
   */
  public static CompiledGraph readFrom(InputStream in, JitOptions options) throws IOException {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(options, "options");
    SavedGraph.Loaded loaded = SavedGraph.read(in, options.maxNodes());
    JitOptions saved = options.withExact(loaded.exact());
    Compiler.Compiled compiled;
    try {
      compiled = Compiler.load(loaded.programs(), saved);
    } catch (RuntimeException e) {
      throw new IOException("could not generate code for the saved programs: " + e.getMessage(), e);
    }
    return of(saved, loaded.programs(), compiled);
  }

  /** Serializes this graph as its saved form ({@link #writeTo}), through a proxy. */
  private Object writeReplace() throws ObjectStreamException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      writeTo(bytes);
    } catch (IOException e) {
      throw new AssertionError("a byte array stream does not fail", e);
    }
    return new SerialProxy(bytes.toByteArray());
  }

  /** Refuses a stream that bypasses the proxy: a graph is only ever read through its saved form. */
  private void readObject(ObjectInputStream in) throws InvalidObjectException {
    throw new InvalidObjectException("use the proxy: a CompiledGraph is serialized in saved form");
  }

  /** The serialized form of a {@link CompiledGraph}: the bytes {@link #writeTo} writes. */
  private static final class SerialProxy implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The saved graph. */
    private final byte[] saved;

    SerialProxy(byte[] saved) {
      this.saved = saved;
    }

    /** Reads the graph back with the default options. */
    private Object readResolve() throws ObjectStreamException {
      try {
        return readFrom(new ByteArrayInputStream(saved));
      } catch (IOException e) {
        InvalidObjectException invalid = new InvalidObjectException(e.getMessage());
        invalid.initCause(e);
        throw invalid;
      }
    }
  }

  private void dump(Path directory, String prefix, List<Emitter.Code> code) {
    try {
      Files.createDirectories(directory);
      int n = 0;
      for (Emitter.Code c : code) {
        for (byte[] bytes : c.classes()) {
          Files.write(
              directory.resolve("Graph" + id + "_" + prefix + n++ + DumpRun.ID + ".class"), bytes);
        }
      }
    } catch (java.io.IOException e) {
      throw new UncheckedIOException("could not dump generated classes to " + directory, e);
    }
  }

  /**
   * This JVM's suffix of dumped class files' names, made on the first dump: asking for the process
   * id took about 10 ms in a fresh JVM, too much to pay on every first compile.
   */
  private static final class DumpRun {
    static final String ID =
        "_" + ProcessHandle.current().pid() + "-" + Long.toString(System.currentTimeMillis(), 36);
  }

  /** Returns the code generated so far: the gradient program's, then the forward program's. */
  private List<Emitter.Code> code() {
    List<Emitter.Code> code = new ArrayList<>();
    if (gradientCode != null) {
      code.add(gradientCode);
      if (!forward.pending()) {
        code.add(forward.get().code());
      }
    }
    return code;
  }

  /**
   * Returns a summary: sizes before and after passes, chunks and bytecode size of the code
   * generated so far, and compile time.
   */
  @Override
  public String toString() {
    return "CompiledGraph["
        + inputCount
        + " inputs, "
        + paramCount
        + " params, "
        + outputCount
        + " outputs"
        + (options.exact() ? ", exact" : "")
        + "; "
        + summary.text(code(), forward.pending())
        + "]";
  }

  /**
   * Each thread's workspace, made on its first call; a class, not {@code ThreadLocal.withInitial}
   * with a lambda, which a fresh JVM would spin a class for (see {@code Passes.Run}).
   */
  private static final class Workspaces extends ThreadLocal<Workspace> {
    private final int size;
    private final int inputs;
    private final int params;

    Workspaces(int size, int inputs, int params) {
      this.size = size;
      this.inputs = inputs;
      this.params = params;
    }

    @Override
    protected Workspace initialValue() {
      return new Workspace(size, inputs, params);
    }
  }
}
