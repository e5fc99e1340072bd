package dev.jitgrad.codegen;

import static dev.jitgrad.codegen.LaneEmitter.I;
import static dev.jitgrad.codegen.LaneEmitter.L;
import static dev.jitgrad.codegen.LaneEmitter.LANES;
import static dev.jitgrad.codegen.LaneEmitter.PG;
import static dev.jitgrad.codegen.LaneEmitter.ROWS;
import static dev.jitgrad.codegen.LaneEmitter.SCALARS;
import static dev.jitgrad.codegen.LaneEmitter.WS;
import static dev.jitgrad.codegen.LaneEmitter.arrayOf;
import static dev.jitgrad.codegen.LaneEmitter.isGradient;
import static dev.jitgrad.codegen.LaneEmitter.laneOffset;
import static dev.jitgrad.codegen.LaneEmitter.stride;
import static org.objectweb.asm.Opcodes.*;

import dev.jitgrad.engine.Op;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

/**
 * The row-blocked form of {@link LaneEmitter} for a rolled weight-gradient update {@code pg[k_j] +=
 * a(j)·g} ({@link #scaledUpdate}): it adds {@link #UPDATE_ROWS} rows per pass over the elements,
 * their adjoints {@code g} in locals. Each gradient element still adds its rows in row order, so
 * results stay the same to the bit. The plain form leaves out the rows whose terms are all ±0, a
 * dead ReLU neuron's ({@link #skippingUpdate}). In the Vector API form ({@link LaneVectors}) the
 * elements run as vectors where the values they multiply lie row-major: inputs in the block's row
 * copy, hidden values (slots, one row's 16 doubles apart in the lane array) in a copy {@link
 * #transpose} makes.
 */
final class LaneUpdates {
  private final Tape tape;
  private final int inputCount;

  /** Where the block's inputs start in the lane array as a row-major copy, row after row. */
  private final int rowMajor;

  /**
   * Where the vector form's row-major copy of a run of slots starts in the lane array, after the
   * inputs' copy ({@link #transpose}).
   */
  private final int scratch;

  private final ChunkedClasses chunks;
  private MethodVisitor mv;
  private int blockedUpdates;
  private int transposedUpdates;

  /** Doubles the row-major copies of slot runs take, 0 if none is made. */
  private int scratchSize;

  /** The run of slots the scratch area holds a copy of, null if none. */
  private Run copied;

  /** The statement from which on writes to the copied run have not been looked for. */
  private int copiedUntil;

  /** Whether the update being written reads its slot operand from the scratch area. */
  private boolean transposed;

  /**
   * The local that counts the update's elements: {@link LaneEmitter#I}, or {@link #ELEMENT} in a
   * rolled nest ({@link #rollsAsUpdates}), whose trips {@code I} counts.
   */
  private int element = I;

  /** The statements per trip of the rolled nest the update is written in, 0 outside one. */
  private int nestPeriod;

  /**
   * The element counter inside a rolled nest: above the scalars of the lane and row loops that the
   * nest's other statements are written as, so that nothing they hold is overwritten.
   */
  private static final int ELEMENT = LaneEmitter.SCALARS + 2 * LaneEmitter.GROUP_SCALARS;

  LaneUpdates(Tape tape, int inputCount, int rowMajor, ChunkedClasses chunks) {
    this.tape = tape;
    this.inputCount = inputCount;
    this.rowMajor = rowMajor;
    this.scratch = rowMajor + inputCount * LANES;
    this.chunks = chunks;
  }

  /** Returns how many weight-gradient updates ran as row blocks. */
  int count() {
    return blockedUpdates;
  }

  /** Returns how many of them read a row-major copy of slots ({@link #transpose}). */
  int transposedCount() {
    return transposedUpdates;
  }

  /** Returns how many doubles the lane array needs after the inputs' row-major copy. */
  int scratchSize() {
    return scratchSize;
  }

  /**
   * Returns whether {@code loop} repeats one statement {@code pg[k] = pg[k] + a·b} where one of the
   * lane values {@code a}, {@code b} stays put (a neuron's back-propagated gradient {@code g}) and
   * the other advances with the gradient element: the update of a neuron's weight gradients.
   */
  boolean isScaledUpdate(Rolling.Loop loop) {
    int s = loop.first();
    int t = tape.tokenStart(s);
    if (loop.period() != 1 || tape.tokenEnd(s) - t != 6 || !isGradient(tape, s)) {
      return false;
    }
    long mul = Tape.opToken(Op.MUL);
    long add = Tape.opToken(Op.ADD);
    if (tape.token(t + 4) != mul || tape.token(t + 5) != add) {
      return false;
    }
    for (int j = 2; j <= 3; j++) {
      long token = tape.token(t + j);
      int array = Tape.payload(token);
      if (Tape.type(token) != Tape.LOAD || (array != Emitter.WS && array != Emitter.IN)) {
        return false;
      }
    }
    int x = tape.indexStart(s);
    return (stride(tape, s, x + 2, 1) == 0) != (stride(tape, s, x + 3, 1) == 0);
  }

  /**
   * In a rolled nest, adds to the index on the stack the nest's trip ({@link LaneEmitter#I}) times
   * the stride of index {@code x} of statement {@code s} from the nest's first trip to its second,
   * times {@code scale}.
   */
  private void addTrip(int s, int x, int scale) {
    int stride = nestPeriod == 0 ? 0 : stride(tape, s, x, nestPeriod) * scale;
    if (stride != 0) {
      mv.visitVarInsn(ILOAD, I);
      chunks.pushInt(stride);
      mv.visitInsn(IMUL);
      mv.visitInsn(IADD);
    }
  }

  /**
   * Rows of a block whose weight-gradient updates ({@link #scaledUpdate}) one pass over the
   * elements adds: their adjoints sit in locals, each element is loaded and stored once per pass.
   * Measured (JMH, one thread, benchmarks/RESULTS-v2-step5.md): 4 and 8 rows ran 64-32-10 batches
   * alike (632 and 624–638 µs), 16 slower (694–703 µs, a chain of 16 dependent additions per
   * element); at 784-64-10 all three within noise.
   */
  static final int UPDATE_ROWS = 8;

  /**
   * Writes a weight-gradient update loop ({@link #isScaledUpdate}) with its loops exchanged: rows
   * outside, the gradient elements inside. {@link #UPDATE_ROWS} rows at a time while that many are
   * left, {@code g_0..g_7 = g(r..r+7); for j < trips: pg[k_j] = pg[k_j] + a_r(j)·g_0 + ... +
   * a_{r+7}(j)·g_7}, then row by row. Each element still adds its rows in row order with the same
   * operands, so the result is the same to the bit; the inner loop has no dependency between its
   * trips. It is not vectorised: JDK 17's C2 vectorises a loop over two arrays only if both indices
   * are constants congruent modulo 8 elements; unrolling the rows and moving the run's elements to
   * get there gave 0.56× the hand-written loops at 784-64-10 once compiled, but C2 took over 40 s
   * to compile it (80 s and more under load). Descending indices are walked from their low end,
   * which only reorders distinct elements.
   */
  void scaledUpdate(Rolling.Loop loop) {
    scaledUpdate(loop, null, null);
  }

  /**
   * Writes weight-gradient update loop {@code loop} as {@link #scaledUpdate(Rolling.Loop)} does, or
   * if {@code nest} is not null as the update of its first trip in the rolled nest whose trip local
   * {@link LaneEmitter#I} counts, into {@code chunk}, the nest's: each index advances by its stride
   * from the nest's first trip to its second per trip, and the elements are counted in {@link
   * #ELEMENT}. Each trip counts as an update.
   */
  void scaledUpdate(Rolling.Loop loop, Rolling.Nest nest, MethodVisitor chunk) {
    this.nestPeriod = nest == null ? 0 : nest.tripStatements();
    this.element = nest == null ? I : ELEMENT;
    int s = loop.first();
    int x = tape.indexStart(s);
    int trips = loop.trips();
    boolean flip = stride(tape, s, x, 1) < 0;
    int g = adjointOperand(s);
    transposed =
        contiguous(s, x, trips, flip, g)
            && arrayOf(tape, s, x + 5 - g) == Emitter.WS
            && (long) scratch + (long) trips * LANES <= Integer.MAX_VALUE - 8;
    mv =
        chunk != null
            ? chunk
            : chunks.reserve(
                200
                    + (transposed ? TRANSPOSE_BYTES : 0)
                    + (LaneVectors.ON ? 128 : 48) * UPDATE_ROWS
                    + SKIP_BYTES,
                20 + 3 * UPDATE_ROWS);
    if (transposed) {
      transpose(loop, x + 5 - g, flip);
    }
    blockedUpdates += nest == null ? 1 : nest.trips();
    Label done = new Label();
    if (skipsRows(loop, nest, x + 5 - g)) {
      Label dense = new Label();
      skippingUpdate(s, x, trips, flip, g, dense, done);
      mv.visitLabel(dense);
    }
    Label blocks = new Label();
    Label rest = new Label();
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, L);
    mv.visitLabel(blocks);
    mv.visitVarInsn(ILOAD, L);
    chunks.pushInt(UPDATE_ROWS);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ILOAD, ROWS);
    mv.visitJumpInsn(IF_ICMPGT, rest);
    for (int r = 0; r < UPDATE_ROWS; r++) {
      adjoint(s, x + g, r, L, SCALARS + 2 + 2 * r);
    }
    updateElements(s, x, trips, flip, g, UPDATE_ROWS, L);
    mv.visitIincInsn(L, UPDATE_ROWS);
    mv.visitJumpInsn(GOTO, blocks);
    mv.visitLabel(rest);
    mv.visitVarInsn(ILOAD, L);
    mv.visitVarInsn(ILOAD, ROWS);
    mv.visitJumpInsn(IF_ICMPGE, done);
    Label rows = new Label();
    mv.visitLabel(rows);
    adjoint(s, x + g, 0, L, SCALARS + 2);
    updateElements(s, x, trips, flip, g, 1, L);
    rowsBack(rows);
    mv.visitLabel(done);
  }

  /**
   * Returns which operand of update statement {@code s}, 2 or 3 (its index less the statement's
   * first), is the adjoint {@code g} that stays put; the other advances with the elements.
   */
  private int adjointOperand(int s) {
    return stride(tape, s, tape.indexStart(s) + 2, 1) == 0 ? 2 : 3;
  }

  /**
   * The values an index of an update statement walks over its loop's trips, from the low end: in
   * which array, from which index, how far apart, how many.
   */
  private record Run(int array, int low, int step, int trips) {}

  /** Returns the run index {@code x} of update statement {@code s} walks over {@code trips}. */
  private Run run(int s, int x, int trips) {
    int stride = stride(tape, s, x, 1);
    return new Run(arrayOf(tape, s, x), low(s, x, trips, stride < 0), Math.abs(stride), trips);
  }

  /**
   * Returns whether {@code run} is {@code held}, a run copied or scanned before statement {@code
   * from}, and no statement in {@code [from, to)} writes one of its values since.
   */
  private boolean unchanged(Run held, int from, int to, Run run) {
    return run.equals(held) && !writes(from, to, run);
  }

  /** Returns whether the plain form can write updates that skip rows ({@link #skippingUpdate}). */
  private boolean canSkip() {
    return !LaneVectors.ON && (long) scratch + SKIP_SCRATCH <= Integer.MAX_VALUE - 8;
  }

  /**
   * Returns whether the plain form writes an update of {@code loop} (in {@code nest}, or null),
   * index {@code a} of its statements the values it multiplies, as {@link #skippingUpdate}, its
   * rows' {@link #scan} in place: outside a nest from an earlier update or written here, inside one
   * only from {@link #prepare}, since a scan in the nest's body would run every trip.
   */
  private boolean skipsRows(Rolling.Loop loop, Rolling.Nest nest, int a) {
    if (nest != null) {
      boolean prepared = nestScanned;
      nestScanned = false;
      return prepared;
    }
    if (!canSkip()) {
      return false;
    }
    scan(loop, a, loop.first());
    scannedUntil = loop.end();
    return true;
  }

  /**
   * Makes the plain form's updates in {@code nest}, {@code update} its first trip's update loop,
   * run as {@link #skippingUpdate}, by writing the {@link #scan} of their rows before the nest's
   * loop, if the values they multiply are the same every trip and no statement of the nest writes
   * them. Called before the nest's loop, with {@code chunk} its chunk.
   */
  void prepare(Rolling.Nest nest, Rolling.Loop update, MethodVisitor chunk) {
    nestScanned = false;
    int s = update.first();
    int a = tape.indexStart(s) + 5 - adjointOperand(s);
    if (!canSkip()
        || stride(tape, s, a, nest.tripStatements()) != 0
        || writes(nest.first(), nest.end(), run(s, a, update.trips()))) {
      return;
    }
    mv = chunk;
    nestPeriod = 0;
    element = I;
    scan(update, a, nest.first());
    scannedUntil = nest.end();
    nestScanned = true;
  }

  /**
   * The lane array's doubles after the inputs' row-major copy that the plain form's {@link #scan}
   * and list of rows take ({@link #skippingUpdate}); the Vector API form's copies of slot runs use
   * the same space.
   */
  private static final int SKIP_SCRATCH = 2 * LANES;

  /** Whether {@link #prepare} wrote the scan for the nest whose update is written next. */
  private boolean nestScanned;

  /** The run the scan covers, null if none. */
  private Run scanned;

  /** The statement from which on writes to the scanned run have not been looked for. */
  private int scannedUntil;

  /**
   * Writes, unless the last scan covers the same run and no statement in {@code [scannedUntil, at)}
   * writes it, a loop that leaves in {@code scratch + r}, for each valid row {@code r}, the sum of
   * {@code v·0.0} over the values {@code v} that index {@code a} of update {@code loop} walks in
   * row {@code r}: ±0 if they are all finite, else NaN. A row whose adjoint is ±0 and whose sum is
   * ±0 adds only ±0 to each gradient element ({@link #skippingUpdate}).
   */
  private void scan(Rolling.Loop loop, int a, int at) {
    int s = loop.first();
    int trips = loop.trips();
    boolean flip = stride(tape, s, a, 1) < 0;
    Run run = run(s, a, trips);
    scratchSize = Math.max(scratchSize, SKIP_SCRATCH);
    if (unchanged(scanned, scannedUntil, at, run)) {
      return;
    }
    scanned = run;
    // one row's sum at a time, in a local: measured 2-3% faster than the rows inside the values
    // with the sums in the lane array (784-64-10, 64-32-10)
    Label rows = new Label();
    Label values = new Label();
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, L);
    mv.visitLabel(rows);
    mv.visitInsn(DCONST_0);
    mv.visitVarInsn(DSTORE, SCALARS);
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, element);
    mv.visitLabel(values);
    mv.visitVarInsn(DLOAD, SCALARS);
    mv.visitVarInsn(ALOAD, WS);
    exchangedIndex(s, a, trips, flip, 0, L);
    mv.visitInsn(DALOAD);
    mv.visitInsn(DCONST_0);
    mv.visitInsn(DMUL);
    mv.visitInsn(DADD);
    mv.visitVarInsn(DSTORE, SCALARS);
    chunks.loopBack(element, 1, trips, values);
    scanSum();
    mv.visitVarInsn(DLOAD, SCALARS);
    mv.visitInsn(DASTORE);
    rowsBack(rows);
  }

  /** Pushes the lane array and the index of row {@code L}'s scan sum. */
  private void scanSum() {
    mv.visitVarInsn(ALOAD, WS);
    chunks.pushInt(scratch);
    mv.visitVarInsn(ILOAD, L);
    mv.visitInsn(IADD);
  }

  /** Advances local {@code L} and jumps back to {@code top} while it is below the valid rows. */
  private void rowsBack(Label top) {
    mv.visitIincInsn(L, 1);
    mv.visitVarInsn(ILOAD, L);
    mv.visitVarInsn(ILOAD, ROWS);
    mv.visitJumpInsn(IF_ICMPLT, top);
  }

  /** Returns whether a statement in {@code [from, to)} writes a value of {@code run}. */
  private boolean writes(int from, int to, Run run) {
    return run.array() == Emitter.WS
        && writes(from, to, run.low(), (run.trips() - 1) * run.step() + 1);
  }

  /**
   * Rows per pass of a {@link #skippingUpdate}, whose row numbers sit in int locals. Measured at
   * 784-64-10 (one JVM, jars alternating): 4 rows ran batches in 0.86× the time of the row blocks
   * without skipping, 8 rows (more int locals than C2 kept in registers) 0.92×, 2 rows 0.98×.
   */
  static final int SKIP_ROWS = 4;

  /** The first of the int locals that hold the rows of a {@link #skippingUpdate} pass. */
  private static final int ROW_LOCALS = SCALARS + 2 + 2 * SKIP_ROWS;

  /** The int local that counts the rows a {@link #skippingUpdate} adds. */
  private static final int ACTIVE = ROW_LOCALS + SKIP_ROWS;

  /** An upper bound on the bytes {@link #skippingUpdate} and a {@link #scan} add. */
  static final int SKIP_BYTES = 300 + 80 * SKIP_ROWS;

  /**
   * Writes the plain form of a weight-gradient update ({@link #scaledUpdate}) that leaves out the
   * rows that add only ±0: a row whose adjoint {@code g} is ±0 and whose values the update
   * multiplies are all finite ({@link #scan}). The other rows are listed in the lane array after
   * the scan, in row order, and added as {@link #scaledUpdate} adds rows, {@link #SKIP_ROWS} at a
   * time, then 2 and 1, their numbers in int locals; if more than three rows in four are listed, it
   * jumps to {@code dense}, the row blocks over every row, which take 0.8× the time a row (every
   * row listed: 1.12× the batch at 784-64-10), else to {@code done} when it is through. Each
   * element still adds the same nonzero terms in row order, and leaving out a ±0 term changes
   * nothing: an element's sum starts at +0.0 in each block ({@code BatchRunner} zeroes it), so it
   * is never -0.0, and {@code v + ±0 == v} to the bit for any other {@code v}. A hidden ReLU
   * layer's dead neurons are such rows, about half of them in the benchmarks.
   */
  private void skippingUpdate(
      int s, int x, int trips, boolean flip, int g, Label dense, Label done) {
    int list = scratch + LANES;
    Label compact = new Label();
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, ACTIVE);
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, L);
    mv.visitLabel(compact);
    // list[active] = L; active += (g != 0 | scan != 0) ? 1 : 0, without a branch (DCMPL gives -1
    // for NaN)
    mv.visitVarInsn(ALOAD, WS);
    chunks.pushInt(list);
    mv.visitVarInsn(ILOAD, ACTIVE);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ILOAD, L);
    mv.visitInsn(I2D);
    mv.visitInsn(DASTORE);
    adjoint(s, x + g, 0, L, SCALARS);
    mv.visitVarInsn(DLOAD, SCALARS);
    mv.visitInsn(DCONST_0);
    mv.visitInsn(DCMPL);
    scanSum();
    mv.visitInsn(DALOAD);
    mv.visitInsn(DCONST_0);
    mv.visitInsn(DCMPL);
    mv.visitInsn(IOR);
    mv.visitInsn(DUP);
    mv.visitInsn(INEG);
    mv.visitInsn(IOR);
    chunks.pushInt(31);
    mv.visitInsn(IUSHR);
    mv.visitVarInsn(ILOAD, ACTIVE);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ISTORE, ACTIVE);
    rowsBack(compact);
    // more than 3 rows in 4 listed: the row blocks over every row
    mv.visitVarInsn(ILOAD, ACTIVE);
    mv.visitInsn(ICONST_4);
    mv.visitInsn(IMUL);
    mv.visitVarInsn(ILOAD, ROWS);
    mv.visitInsn(ICONST_3);
    mv.visitInsn(IMUL);
    mv.visitJumpInsn(IF_ICMPGT, dense);

    Label blocks = new Label();
    Label rest = new Label();
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, L);
    mv.visitLabel(blocks);
    mv.visitVarInsn(ILOAD, L);
    chunks.pushInt(SKIP_ROWS);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ILOAD, ACTIVE);
    mv.visitJumpInsn(IF_ICMPGT, rest);
    listedRows(list, SKIP_ROWS, s, x, trips, flip, g);
    mv.visitJumpInsn(GOTO, blocks);
    mv.visitLabel(rest);
    // fewer than SKIP_ROWS left: a pass of each power of two they hold, largest first
    for (int rows = SKIP_ROWS / 2; rows >= 1; rows /= 2) {
      Label smaller = new Label();
      mv.visitVarInsn(ILOAD, L);
      chunks.pushInt(rows);
      mv.visitInsn(IADD);
      mv.visitVarInsn(ILOAD, ACTIVE);
      mv.visitJumpInsn(IF_ICMPGT, smaller);
      listedRows(list, rows, s, x, trips, flip, g);
      mv.visitLabel(smaller);
    }
    mv.visitJumpInsn(GOTO, done);
  }

  /**
   * Writes a pass of a {@link #skippingUpdate} over the {@code rows} rows listed from {@code list +
   * L} on, and advances local {@code L} past them.
   */
  private void listedRows(int list, int rows, int s, int x, int trips, boolean flip, int g) {
    for (int r = 0; r < rows; r++) {
      mv.visitVarInsn(ALOAD, WS);
      chunks.pushInt(list + r);
      mv.visitVarInsn(ILOAD, L);
      mv.visitInsn(IADD);
      mv.visitInsn(DALOAD);
      mv.visitInsn(D2I);
      mv.visitVarInsn(ISTORE, ROW_LOCALS + r);
      adjoint(s, x + g, 0, ROW_LOCALS + r, SCALARS + 2 + 2 * r);
    }
    updateElements(s, x, trips, flip, g, rows, ROW_LOCALS);
    mv.visitIincInsn(L, rows);
  }

  /** An upper bound on the bytes of a {@link #transpose} loop nest. */
  private static final int TRANSPOSE_BYTES = 80;

  /**
   * Makes the scratch area hold the run of slots that index {@code x} of {@code loop}'s statements
   * walks, row-major: slot {@code low + j} of lane {@code l} at {@code scratch + l·trips + j},
   * every lane. A layer's updates all read the run of the layer below, so one copy per block serves
   * them all: at 2-64-64-1 the vector updates this enables ran batches in 0.40× the hand-written
   * loops' time instead of 0.55× (JMH, one thread, benchmarks/RESULTS-v2-step7.md, section 5). The
   * Vector API's gather, which would read the lanes in place, is not intrinsified by JDK 17's C2
   * and allocated. Writes the copy unless the area already holds that run and no statement since
   * the update that copied it wrote one of its slots, which the statements in between reveal by
   * their targets; statements run in tape order, so a block's first update of a run always copies
   * it.
   */
  private void transpose(Rolling.Loop loop, int x, boolean flip) {
    int s = loop.first();
    int trips = loop.trips();
    int low = low(s, x, trips, flip);
    transposedUpdates++;
    Run run = run(s, x, trips);
    if (unchanged(copied, copiedUntil, s, run)) {
      copiedUntil = loop.end();
      return;
    }
    copied = run;
    copiedUntil = loop.end();
    scratchSize = Math.max(scratchSize, trips * LANES);
    Label lanes = new Label();
    Label slots = new Label();
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, L);
    mv.visitLabel(lanes);
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, element);
    mv.visitLabel(slots);
    mv.visitVarInsn(ALOAD, WS);
    chunks.pushInt(scratch);
    mv.visitVarInsn(ILOAD, L);
    chunks.pushInt(trips);
    mv.visitInsn(IMUL);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ILOAD, element);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ALOAD, WS);
    chunks.pushInt((inputCount + low) * LANES);
    mv.visitVarInsn(ILOAD, element);
    chunks.pushInt(LANES);
    mv.visitInsn(IMUL);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ILOAD, L);
    mv.visitInsn(IADD);
    mv.visitInsn(DALOAD);
    mv.visitInsn(DASTORE);
    chunks.loopBack(element, 1, trips, slots);
    chunks.loopBack(L, 1, LANES, lanes);
  }

  /** Returns whether a statement in {@code [from, to)} writes a slot in {@code [low, low + n)}. */
  private boolean writes(int from, int to, int low, int n) {
    for (int s = from; s < to; s++) {
      int target = tape.index(tape.indexStart(s));
      if (Tape.payload(tape.token(tape.tokenStart(s))) == Emitter.WS
          && target >= low
          && target < low + n) {
        return true;
      }
    }
    return false;
  }

  /**
   * Loads the adjoint {@code x} of statement {@code s} of row {@code r} + local {@code row} into
   * {@code local}.
   */
  private void adjoint(int s, int x, int r, int row, int local) {
    mv.visitVarInsn(ALOAD, WS);
    chunks.pushInt(laneOffset(tape, inputCount, s, x) + tape.index(x) * LANES + r);
    mv.visitVarInsn(ILOAD, row);
    mv.visitInsn(IADD);
    addTrip(s, x, LANES);
    mv.visitInsn(DALOAD);
    mv.visitVarInsn(DSTORE, local);
  }

  /**
   * Writes the loop over the elements of a weight-gradient update ({@link #scaledUpdate}) that adds
   * {@code rows} rows in order, their adjoints (operand {@code g}) in locals: rows {@code L} to
   * {@code L + rows - 1} if {@code row} is {@link LaneEmitter#L}, else the rows that int locals
   * {@code row} to {@code row + rows - 1} hold ({@link #skippingUpdate}).
   */
  private void updateElements(int s, int x, int trips, boolean flip, int g, int rows, int row) {
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, element);
    Label end = new Label();
    boolean vector = isVector(s, x, trips, flip, g);
    if (vector) {
      vectorElements(s, x, trips, flip, g, rows);
      mv.visitVarInsn(ILOAD, element);
      chunks.pushInt(trips);
      mv.visitJumpInsn(IF_ICMPGE, end);
    }
    Label elements = new Label();
    mv.visitLabel(elements);
    mv.visitVarInsn(ALOAD, PG);
    exchangedIndex(s, x, trips, flip, 0, L);
    mv.visitVarInsn(ALOAD, PG);
    exchangedIndex(s, x, trips, flip, 0, L);
    mv.visitInsn(DALOAD);
    for (int r = 0; r < rows; r++) {
      for (int j = 2; j <= 3; j++) {
        if (j == g) {
          mv.visitVarInsn(DLOAD, SCALARS + 2 + 2 * r);
        } else {
          mv.visitVarInsn(ALOAD, WS);
          if (row == L) {
            exchangedIndex(s, x + j, trips, flip, r, L);
          } else {
            exchangedIndex(s, x + j, trips, flip, 0, row + r);
          }
          mv.visitInsn(DALOAD);
        }
      }
      mv.visitInsn(DMUL);
      mv.visitInsn(DADD);
    }
    mv.visitInsn(DASTORE);
    chunks.loopBack(element, 1, trips, elements);
    if (vector) {
      mv.visitLabel(end);
    }
  }

  /**
   * Returns whether the elements of a weight-gradient update run as vectors ({@link
   * #vectorElements}): they are {@link #contiguous}, and the values they multiply are inputs (read
   * from the block's row-major copy) or slots copied row-major ({@link #transpose}).
   */
  private boolean isVector(int s, int x, int trips, boolean flip, int g) {
    return contiguous(s, x, trips, flip, g)
        && (transposed || arrayOf(tape, s, x + 5 - g) == Emitter.IN);
  }

  /**
   * Returns whether the Vector API form is on ({@link LaneVectors}), a weight-gradient update has
   * at least one vector of elements, and they and the values they multiply are each contiguous in
   * walking order.
   */
  private boolean contiguous(int s, int x, int trips, boolean flip, int g) {
    int step = flip ? -1 : 1;
    return LaneVectors.ON
        && trips >= LaneVectors.LENGTH
        && stride(tape, s, x, 1) == step
        && stride(tape, s, x + 5 - g, 1) == step;
  }

  /**
   * Writes the vector part of {@link #updateElements} ({@link #isVector}): {@link
   * LaneVectors#LENGTH} elements at a time while that many are left, {@code pg[k..] = pg[k..] +
   * a_r(..)·g_r + ...}, each vector operation lane by lane the scalar one with its operands in the
   * same order, so each element gets the same bits; local {@link LaneEmitter#I} is left at the
   * first element not done. The adjoints are made vectors inside the loop: made once before it and
   * kept in locals, C2 (JDK 17) allocated them as objects, 40 MB per 64-32-10 batch of 512 rows,
   * which ran 7× slower.
   */
  private void vectorElements(int s, int x, int trips, boolean flip, int g, int rows) {
    Label elements = new Label();
    mv.visitLabel(elements);
    LaneVectors.species(mv);
    mv.visitVarInsn(ALOAD, PG);
    exchangedIndex(s, x, trips, flip, 0, L);
    LaneVectors.fromArray(mv);
    for (int r = 0; r < rows; r++) {
      for (int j = 2; j <= 3; j++) {
        if (j == g) {
          LaneVectors.broadcast(mv, SCALARS + 2 + 2 * r);
        } else {
          LaneVectors.species(mv);
          mv.visitVarInsn(ALOAD, WS);
          exchangedIndex(s, x + j, trips, flip, r, L);
          LaneVectors.fromArray(mv);
        }
      }
      LaneVectors.mul(mv);
      LaneVectors.add(mv);
    }
    mv.visitVarInsn(ALOAD, PG);
    exchangedIndex(s, x, trips, flip, 0, L);
    LaneVectors.intoArray(mv);
    chunks.loopBack(element, LaneVectors.LENGTH, trips - LaneVectors.LENGTH + 1, elements);
  }

  /**
   * Returns the lowest index element {@code x} of statement {@code s} takes over the {@code trips}
   * of its loop, walked from that end ({@code flip}: its indices descend).
   */
  private int low(int s, int x, int trips, boolean flip) {
    return tape.index(x) + (flip ? stride(tape, s, x, 1) * (trips - 1) : 0);
  }

  /**
   * Pushes the index, in its array, of element {@code x} of statement {@code s} at trip {@code j}
   * (local {@link #element}) of the exchanged loop, row {@code row} + int local {@code rowLocal}: a
   * gradient element, an input read row-major from the block's row copy, a slot read row-major from
   * the scratch area's copy ({@link #transpose}), or a slot's lane.
   */
  private void exchangedIndex(int s, int x, int trips, boolean flip, int row, int rowLocal) {
    int stride = stride(tape, s, x, 1);
    int low = low(s, x, trips, flip);
    int step = flip ? -stride : stride;
    int array = arrayOf(tape, s, x);
    boolean copied = array == Emitter.WS && transposed;
    int scale = array == Emitter.WS && !copied ? LANES : 1;
    int base =
        array == Emitter.PG
            ? low
            : copied
                ? scratch + row * trips
                : array == Emitter.WS
                    ? (inputCount + low) * LANES + row
                    : rowMajor + low + row * inputCount;
    chunks.pushInt(base);
    if (step != 0) {
      mv.visitVarInsn(ILOAD, element);
      if (step * scale != 1) {
        chunks.pushInt(step * scale);
        mv.visitInsn(IMUL);
      }
      mv.visitInsn(IADD);
    }
    addTrip(s, x, scale);
    if (array == Emitter.WS && !copied) {
      mv.visitVarInsn(ILOAD, rowLocal);
      mv.visitInsn(IADD);
    } else if (array != Emitter.PG) {
      mv.visitVarInsn(ILOAD, rowLocal);
      chunks.pushInt(copied ? trips : inputCount);
      mv.visitInsn(IMUL);
      mv.visitInsn(IADD);
    }
  }
}
