package dev.jitgrad.codegen;

import static org.objectweb.asm.Opcodes.*;

import dev.jitgrad.engine.Op;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

/**
 * Emits a program as a lane kernel: the per-row program's statements ({@link Tape}), each applied
 * to a block of up to {@link #LANES} rows at once, so C2 vectorises across rows.
 *
 * <p>The lane array is laid out row of lanes by row of lanes: input {@code x} of lane {@code l} at
 * {@code x·LANES + l}, then workspace slot {@code s} at {@code (inputCount + s)·LANES + l}. Inputs
 * and slots share one array so that every lane loop reads and writes a single array at constant
 * offsets that C2 can tell apart. Parameters and constants are scalars broadcast across lanes: a
 * statement loads its parameters into locals before its lane loop.
 *
 * <p>A statement writes either a workspace slot or a parameter gradient. A slot statement becomes a
 * loop over all lanes: {@code for l < LANES: ws[t·LANES + l] = expression(lane l)}. Every value it
 * reads belongs to the same lane, so lanes are independent and each computes exactly what the
 * per-row kernel computes for its row, in the same order. A gradient statement is the whole
 * accumulation chain of one parameter for one row, {@code pg[k] = pg[k] + c1 + c2 ...}; it becomes
 * a loop over the block's valid rows, in row order, with {@code pg[k]} in a local: {@code acc =
 * pg[k]; for r < rows: acc = acc + c1(r) + c2(r) ...; pg[k] = acc}, which is what running the
 * per-row kernel row after row adds into {@code pg[k]}, to the bit. No reduction is reassociated.
 * Lanes at and past {@code rows} compute on whatever the caller left there (zeros) and never reach
 * a sum.
 *
 * <p>That is exact only if each parameter's chain sits in one statement: {@code pg[k]} is read by
 * exactly one statement, which is the one statement that writes it. A chain that {@link Layout} cut
 * over several statements (a parameter with more uses than an expression holds), or input
 * gradients, would need the statements of all rows interleaved; such a program gets no lane kernel
 * ({@link #emit} returns null) and runs row by row.
 *
 * <p>Two shapes get register-blocked forms, which keep values in locals (registers once C2 compiles
 * them) where the lane and row loops store and reload them. A long sum of products, {@code h +
 * a_0·b_0 + a_1·b_1 + ...} (a chain, {@link #chain}: a neuron's weighted sum, with the partial sums
 * that {@link Layout} cut it into joined again, or a hidden neuron's adjoint sum), runs with the
 * accumulators of {@link #CHAIN_LANES} lanes in locals: per term its parameter is loaded once, then
 * each lane adds its product; what the statement does around the sum is done per lane at the store.
 * A rolled weight-gradient update {@code pg[k_j] += a(j)·g} ({@link #scaledUpdate}) adds {@link
 * #UPDATE_ROWS} rows per pass over the elements, their adjoints {@code g} in locals. Each lane
 * still computes its row's operations in their order and each gradient element adds its rows in row
 * order, so results stay the same to the bit.
 *
 * <p>Runs that {@link Rolling} rolls become counted loops (local {@link #I}) around the same lane
 * and row loops. Methods are chunked by {@link ChunkedClasses} as {@link Emitter}'s are (at most
 * {@link Emitter#CHUNK_BYTES}, constant pool under {@link Emitter#POOL_BUDGET}); frames are
 * computed by ASM.
 */
final class LaneEmitter {
  /**
   * Rows per lane kernel call: one determinism block ({@link BatchRunner#BLOCK_ROWS}), so a block
   * is one call and its rows' gradients are summed by the row loops of that call.
   */
  static final int LANES = BatchRunner.BLOCK_ROWS;

  private static final String NAME = "dev/jitgrad/codegen/GeneratedLanes";
  private static final String RUN = "([D[D[DI)V";

  /** Locals of a chunk: the lane array, params, param gradient, valid rows, two counters. */
  private static final int WS = 0;

  private static final int P = 1;
  private static final int PG = 2;
  private static final int ROWS = 3;
  private static final int I = 4;
  private static final int L = 5;

  /** The first local of a group's scalars: its parameters and accumulators, in token order. */
  private static final int SCALARS = 6;

  /**
   * The most tokens the statements of one lane or row loop hold together. One loop per statement
   * left C2 with hundreds of loops per chunk, which it did not compile within 5 s (the moons step
   * ran 8× slower than row by row); groups of 64, 256 or unbounded tokens measured the same at
   * 64-32-10 and the moons step (JMH, one thread: see benchmarks/RESULTS-v2-progress.md).
   */
  static final int GROUP_TOKENS = 256;

  /** The most scalar locals (params, accumulators) one lane or row loop takes. */
  private static final int GROUP_SCALARS = 120;

  /** An upper bound on the bytes of one token of a lane statement (a load in a rolled loop). */
  private static final int BYTES_PER_TOKEN = 24;

  /** An upper bound on the bytes of a statement's loop control and store. */
  private static final int STATEMENT_BYTES = 40;

  private final Program p;
  private final Tape tape;
  private final int inputCount;

  /** Where the block's inputs start in the lane array as a row-major copy, row after row. */
  private final int rowMajor;

  private final ChunkedClasses chunks =
      new ChunkedClasses(NAME, LaneSegment.class, RUN, ClassWriter.COMPUTE_FRAMES);
  private MethodVisitor mv;
  private int chainStatements;
  private int blockedUpdates;

  /**
   * Whether statements may run as chains ({@link #isChain}): not in a rolled loop whose body would
   * then not fit one chunk method, since a chain writes what surrounds its sum once per lane.
   */
  private boolean chains = true;

  /**
   * The most bytes a chain, or a rolled loop with chains, may take by {@link #chainBytes}'s upper
   * bound: above {@link Emitter#CHUNK_BYTES}, since that bound is loose, but under HotSpot's
   * 8,000-byte limit on the methods it compiles, with room for the chunk's return.
   */
  private static final int MAX_CHAIN_BYTES = 7_900;

  /**
   * Per statement: the token of its sum's head ({@link #shape}), -1 if none, 0 if not yet found.
   */
  private final int[] chainHeadOf;

  /** Per statement: how many terms its sum has, 0 if none. */
  private final int[] chainTermsOf;

  /** Per statement: whether its sum starts with a product instead of a head ({@link #shape}). */
  private final boolean[] headlessOf;

  private LaneEmitter(Program p, Tape tape, int laneRows) {
    this.p = p;
    this.tape = tape;
    this.inputCount = p.inputCount;
    this.rowMajor = laneRows * LANES;
    this.chainHeadOf = new int[tape.size()];
    this.chainTermsOf = new int[tape.size()];
    this.headlessOf = new boolean[tape.size()];
  }

  /**
   * The generated lane classes of one program, not yet loaded, and how many of its statements ran
   * as chains ({@link #chain}) and weight-gradient updates as row blocks ({@link #scaledUpdate}).
   */
  record Code(
      List<byte[]> classes,
      int chunks,
      int inputCount,
      int laneRows,
      int chainStatements,
      int blockedUpdates) {}

  /**
   * Lane code is rolled from the size per-row code is ({@link Rolling#MIN_PROGRAM_BYTES}). With
   * chains and row-blocked updates, rolled lane code ran 64-32-10 batches as fast as straight lane
   * code (610 against 622 µs for 512 rows) in a third of the bytes, and 2-64-64-1 batches of 32
   * rows in 94 against 167 µs (JMH, one thread, benchmarks/RESULTS-v2-step5.md); before them,
   * straight lane code was faster at 64-32-10, so lanes rolled only from 256 KB.
   */
  static final int MIN_ROLL_BYTES = Rolling.MIN_PROGRAM_BYTES;

  /** Returns the lane code of {@code p} laid out by {@code layout}, or null if it has none. */
  static Code emit(Program p, Layout layout) {
    return emit(p, layout, MIN_ROLL_BYTES);
  }

  /**
   * Returns the lane code of {@code p}, rolling loops if its per-row code is at least {@code
   * minRollBytes}, or null if its gradient chains are not one statement each (see above) or its
   * lane array would not fit in a Java array.
   */
  static Code emit(Program p, Layout layout, int minRollBytes) {
    return emit(p, layout, Tape.of(p, layout), minRollBytes);
  }

  /** As {@link #emit(Program, Layout, int)}, from {@code p}'s statements {@code tape}. */
  static Code emit(Program p, Layout layout, Tape tape, int minRollBytes) {
    long laneRows = (long) p.inputCount + layout.workspaceSize;
    if ((laneRows + p.inputCount) * LANES > Integer.MAX_VALUE - 8) {
      return null;
    }
    if (!chainsInOneStatement(tape)) {
      return null;
    }
    return new LaneEmitter(p, tape, (int) laneRows)
        .run(Rolling.find(tape, minRollBytes), (int) laneRows);
  }

  /**
   * Returns whether every parameter gradient element is read by exactly one statement, the one
   * statement that writes it, and no statement touches input gradients.
   */
  private static boolean chainsInOneStatement(Tape tape) {
    Set<Integer> seen = new HashSet<>();
    for (int s = 0; s < tape.size(); s++) {
      int x = tape.indexStart(s);
      int target = -1;
      int reads = 0;
      int readIndex = -1;
      for (int t = tape.tokenStart(s); t < tape.tokenEnd(s); t++) {
        long token = tape.token(t);
        int type = Tape.type(token);
        if (type == Tape.TARGET || type == Tape.LOAD) {
          int array = Tape.payload(token);
          if (array == Emitter.IG) {
            return false;
          }
          if (array == Emitter.PG && type == Tape.TARGET) {
            target = tape.index(x);
          } else if (array == Emitter.PG) {
            reads++;
            readIndex = tape.index(x);
          }
          x++;
        } else {
          t += constantsAfter(token);
        }
      }
      boolean chain = target >= 0 && reads == 1 && readIndex == target;
      if ((target >= 0 || reads > 0) && (!chain || !seen.add(target))) {
        return false;
      }
    }
    return true;
  }

  /** Returns how many constant tokens follow {@code token} in a tape. */
  private static int constantsAfter(long token) {
    return switch (Tape.type(token)) {
      case Tape.CONST -> 1;
      case Tape.OP -> Emitter.constants(Op.values()[Tape.payload(token)]);
      default -> 0;
    };
  }

  /** Defines the classes of {@code code} as hidden classes and returns a kernel that runs them. */
  static LaneKernel load(Code code) {
    return new LaneKernel(
        ChunkedClasses.load(code.classes(), LaneSegment[]::new),
        code.inputCount(),
        code.laneRows());
  }

  private Code run(List<Rolling.Loop> loops, int laneRows) {
    int next = 0;
    for (int s = 0; s < tape.size(); ) {
      Rolling.Loop loop = next < loops.size() ? loops.get(next) : null;
      if (loop != null && loop.first() == s) {
        loop(loop);
        s = loop.end();
        next++;
      } else if (isChain(s, 0)) {
        ChainRun run = chainRun(s, loops, next);
        chain(s, run.last(), run.terms(), 0);
        s = run.last() + 1;
        next += run.loops();
      } else {
        int end = groupEnd(s, loop == null ? tape.size() : loop.first(), 0);
        mv = chunks.reserve(bytesBound(s, end), poolBound(s, end));
        group(s, end, 0);
        s = end;
      }
    }
    List<byte[]> classes = chunks.finish();
    return new Code(
        classes, chunks.totalChunks(), inputCount, laneRows, chainStatements, blockedUpdates);
  }

  /**
   * Returns the end of the group that starts at statement {@code s}, before {@code limit}: the
   * statements after it of the same kind (lane or row loop) while they hold at most {@link
   * #GROUP_TOKENS} tokens and {@link #GROUP_SCALARS} scalar locals together, up to the next chain
   * ({@link #isChain}) in a rolled loop of {@code period} (0 outside loops).
   */
  private int groupEnd(int s, int limit, int period) {
    boolean gradient = isGradient(s);
    int tokens = 0;
    int scalars = 0;
    int end = s;
    while (end < limit && isGradient(end) == gradient && (end == s || !isChain(end, period))) {
      int t = tape.tokenEnd(end) - tape.tokenStart(end);
      int l = scalars(end);
      if (end > s && (tokens + t > GROUP_TOKENS || scalars + l > GROUP_SCALARS)) {
        break;
      }
      tokens += t;
      scalars += l;
      end++;
    }
    return end;
  }

  /** Returns whether statement {@code s} accumulates a parameter gradient (a row loop). */
  private boolean isGradient(int s) {
    return Tape.payload(tape.token(tape.tokenStart(s))) == Emitter.PG;
  }

  /** Returns how many scalar locals statement {@code s} takes: its params and accumulator. */
  private int scalars(int s) {
    int n = 0;
    for (int t = tape.tokenStart(s); t < tape.tokenEnd(s); t++) {
      long token = tape.token(t);
      n += isScalarLoad(token) ? 1 : 0;
      t += constantsAfter(token);
    }
    return n;
  }

  private static boolean isScalarLoad(long token) {
    return Tape.type(token) == Tape.LOAD
        && (Tape.payload(token) == Emitter.P || Tape.payload(token) == Emitter.PG);
  }

  private int bytesBound(int from, int to) {
    int bytes = 0;
    for (int s = from; s < to; s++) {
      int statement = STATEMENT_BYTES + BYTES_PER_TOKEN * (tape.tokenEnd(s) - tape.tokenStart(s));
      bytes += Math.max(statement, chains && chainTerms(s) > 0 ? chainBytes(s) : 0);
    }
    return bytes;
  }

  private int poolBound(int from, int to) {
    int entries = 0;
    for (int s = from; s < to; s++) {
      entries += tape.poolBound(s);
    }
    return entries;
  }

  /** Writes {@code loop}: a counted loop in local {@link #I} around its group's statements. */
  private void loop(Rolling.Loop loop) {
    if (isScaledUpdate(loop)) {
      scaledUpdate(loop);
      return;
    }
    int end = loop.first() + loop.period();
    chains = 16 + bytesBound(loop.first(), end) <= MAX_CHAIN_BYTES;
    mv = chunks.reserve(16 + bytesBound(loop.first(), end), 4 + poolBound(loop.first(), end));
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, I);
    Label top = new Label();
    mv.visitLabel(top);
    for (int s = loop.first(); s < end; ) {
      if (isChain(s, loop.period())) {
        chain(s, s, chainTerms(s), loop.period());
        s++;
        continue;
      }
      int groupEnd = groupEnd(s, end, loop.period());
      group(s, groupEnd, loop.period());
      s = groupEnd;
    }
    chunks.loopBack(I, 1, loop.trips(), top);
    chains = true;
  }

  /**
   * Returns whether {@code loop} repeats one statement {@code pg[k] = pg[k] + a·b} where one of the
   * lane values {@code a}, {@code b} stays put (a neuron's back-propagated gradient {@code g}) and
   * the other advances with the gradient element: the update of a neuron's weight gradients.
   */
  private boolean isScaledUpdate(Rolling.Loop loop) {
    int s = loop.first();
    int t = tape.tokenStart(s);
    if (loop.period() != 1 || tape.tokenEnd(s) - t != 6 || !isGradient(s)) {
      return false;
    }
    long mul = (long) Tape.OP << 56 | Op.MUL.ordinal();
    long add = (long) Tape.OP << 56 | Op.ADD.ordinal();
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
    return (stride(s, x + 2, 1) == 0) != (stride(s, x + 3, 1) == 0);
  }

  /** Returns how far index {@code x} of statement {@code s} advances per trip of its loop. */
  private int stride(int s, int x, int period) {
    return tape.index(tape.indexStart(s + period) + x - tape.indexStart(s)) - tape.index(x);
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
  private void scaledUpdate(Rolling.Loop loop) {
    int s = loop.first();
    int x = tape.indexStart(s);
    int trips = loop.trips();
    boolean flip = stride(s, x, 1) < 0;
    mv = chunks.reserve(200 + 48 * UPDATE_ROWS, 16 + 2 * UPDATE_ROWS);
    int g = stride(s, x + 2, 1) == 0 ? 2 : 3;
    blockedUpdates++;
    Label blocks = new Label();
    Label rest = new Label();
    Label done = new Label();
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, L);
    mv.visitLabel(blocks);
    mv.visitVarInsn(ILOAD, L);
    chunks.pushInt(UPDATE_ROWS);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ILOAD, ROWS);
    mv.visitJumpInsn(IF_ICMPGT, rest);
    for (int r = 0; r < UPDATE_ROWS; r++) {
      adjoint(s, x + g, r, SCALARS + 2 + 2 * r);
    }
    updateElements(s, x, trips, flip, g, UPDATE_ROWS);
    mv.visitIincInsn(L, UPDATE_ROWS);
    mv.visitJumpInsn(GOTO, blocks);
    mv.visitLabel(rest);
    mv.visitVarInsn(ILOAD, L);
    mv.visitVarInsn(ILOAD, ROWS);
    mv.visitJumpInsn(IF_ICMPGE, done);
    Label rows = new Label();
    mv.visitLabel(rows);
    adjoint(s, x + g, 0, SCALARS + 2);
    updateElements(s, x, trips, flip, g, 1);
    mv.visitIincInsn(L, 1);
    mv.visitVarInsn(ILOAD, L);
    mv.visitVarInsn(ILOAD, ROWS);
    mv.visitJumpInsn(IF_ICMPLT, rows);
    mv.visitLabel(done);
  }

  /**
   * Loads the adjoint {@code x} of statement {@code s} of row {@link #L} + {@code r} into {@code
   * local}.
   */
  private void adjoint(int s, int x, int r, int local) {
    mv.visitVarInsn(ALOAD, WS);
    chunks.pushInt(laneOffset(s, x) + tape.index(x) * LANES + r);
    mv.visitVarInsn(ILOAD, L);
    mv.visitInsn(IADD);
    mv.visitInsn(DALOAD);
    mv.visitVarInsn(DSTORE, local);
  }

  /**
   * Writes the loop over the elements of a weight-gradient update ({@link #scaledUpdate}) that adds
   * rows {@link #L} to {@code L + rows - 1} in order, their adjoints (operand {@code g}) in locals.
   */
  private void updateElements(int s, int x, int trips, boolean flip, int g, int rows) {
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, I);
    Label elements = new Label();
    mv.visitLabel(elements);
    mv.visitVarInsn(ALOAD, PG);
    exchangedIndex(s, x, trips, flip, 0);
    mv.visitVarInsn(ALOAD, PG);
    exchangedIndex(s, x, trips, flip, 0);
    mv.visitInsn(DALOAD);
    for (int r = 0; r < rows; r++) {
      for (int j = 2; j <= 3; j++) {
        if (j == g) {
          mv.visitVarInsn(DLOAD, SCALARS + 2 + 2 * r);
        } else {
          mv.visitVarInsn(ALOAD, WS);
          exchangedIndex(s, x + j, trips, flip, r);
          mv.visitInsn(DALOAD);
        }
      }
      mv.visitInsn(DMUL);
      mv.visitInsn(DADD);
    }
    mv.visitInsn(DASTORE);
    chunks.loopBack(I, 1, trips, elements);
  }

  /**
   * Returns where the lane array region of the array that index {@code x} of {@code s} names
   * starts.
   */
  private int laneOffset(int s, int x) {
    return arrayOf(s, x) == Emitter.WS ? inputCount * LANES : 0;
  }

  /**
   * Returns the tape array (its emitter local) that index {@code x} of statement {@code s} names.
   */
  private int arrayOf(int s, int x) {
    int seen = tape.indexStart(s);
    for (int t = tape.tokenStart(s); ; t++) {
      long token = tape.token(t);
      if (Tape.type(token) == Tape.TARGET || Tape.type(token) == Tape.LOAD) {
        if (seen++ == x) {
          return Tape.payload(token);
        }
      }
      t += constantsAfter(token);
    }
  }

  /**
   * Pushes the index, in its array, of element {@code x} of statement {@code s} at trip {@code j}
   * (local {@link #I}) of the exchanged loop, row {@link #L} + {@code row}: a gradient element, an
   * input read row-major from the block's row copy, or a slot's lane.
   */
  private void exchangedIndex(int s, int x, int trips, boolean flip, int row) {
    int stride = stride(s, x, 1);
    int low = tape.index(x) + (flip ? stride * (trips - 1) : 0);
    int step = flip ? -stride : stride;
    int array = arrayOf(s, x);
    int scale = array == Emitter.WS ? LANES : 1;
    int base =
        array == Emitter.PG
            ? low
            : array == Emitter.WS
                ? (inputCount + low) * LANES + row
                : rowMajor + low + row * inputCount;
    chunks.pushInt(base);
    if (step != 0) {
      mv.visitVarInsn(ILOAD, I);
      if (step * scale != 1) {
        chunks.pushInt(step * scale);
        mv.visitInsn(IMUL);
      }
      mv.visitInsn(IADD);
    }
    if (array == Emitter.WS) {
      mv.visitVarInsn(ILOAD, L);
      mv.visitInsn(IADD);
    } else if (array == Emitter.IN) {
      mv.visitVarInsn(ILOAD, L);
      chunks.pushInt(inputCount);
      mv.visitInsn(IMUL);
      mv.visitInsn(IADD);
    }
  }

  /**
   * Writes statements {@code [from, to)}, all of one kind, as one lane loop over all lanes or one
   * row loop over the valid rows; {@code period} is that of the rolled loop around them, or 0.
   * Their parameters, and the gradient elements they accumulate, are loaded into locals first; the
   * accumulated elements are stored back after the loop.
   */
  private void group(int from, int to, int period) {
    boolean gradient = isGradient(from);
    int local = SCALARS;
    for (int s = from; s < to; s++) {
      int x = tape.indexStart(s);
      for (int t = tape.tokenStart(s); t < tape.tokenEnd(s); t++) {
        long token = tape.token(t);
        if (isScalarLoad(token)) {
          mv.visitVarInsn(ALOAD, Tape.payload(token) == Emitter.P ? P : PG);
          pushIndex(s, x, period, 1, 0);
          mv.visitInsn(DALOAD);
          mv.visitVarInsn(DSTORE, local);
          local += 2;
        }
        x += Tape.type(token) == Tape.TARGET || Tape.type(token) == Tape.LOAD ? 1 : 0;
        t += constantsAfter(token);
      }
    }
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, L);
    Label top = new Label();
    mv.visitLabel(top);
    local = SCALARS;
    for (int s = from; s < to; s++) {
      local = expression(s, period, local);
    }
    mv.visitIincInsn(L, 1);
    mv.visitVarInsn(ILOAD, L);
    if (gradient) {
      mv.visitVarInsn(ILOAD, ROWS);
    } else {
      chunks.pushInt(LANES);
    }
    mv.visitJumpInsn(IF_ICMPLT, top);
    if (!gradient) {
      return;
    }
    local = SCALARS;
    for (int s = from; s < to; s++) {
      int x = tape.indexStart(s);
      for (int t = tape.tokenStart(s); t < tape.tokenEnd(s); t++) {
        long token = tape.token(t);
        if (isScalarLoad(token) && Tape.payload(token) == Emitter.PG) {
          mv.visitVarInsn(ALOAD, PG);
          pushIndex(s, x, period, 1, 0);
          mv.visitVarInsn(DLOAD, local);
          mv.visitInsn(DASTORE);
        }
        local += isScalarLoad(token) ? 2 : 0;
        x += Tape.type(token) == Tape.TARGET || Tape.type(token) == Tape.LOAD ? 1 : 0;
        t += constantsAfter(token);
      }
    }
  }

  /**
   * Writes statement {@code s} for lane (or row) {@link #L}: its expression and its store, into the
   * lane array or its accumulator local; its scalars start at local {@code local}. Returns the
   * local after its scalars.
   */
  private int expression(int s, int period, int local) {
    int x = tape.indexStart(s);
    int accumulator = -1;
    for (int t = tape.tokenStart(s); t < tape.tokenEnd(s); t++) {
      long token = tape.token(t);
      switch (Tape.type(token)) {
        case Tape.TARGET, Tape.LOAD -> {
          boolean load = Tape.type(token) == Tape.LOAD;
          int array = Tape.payload(token);
          if (array == Emitter.WS || array == Emitter.IN) {
            mv.visitVarInsn(ALOAD, WS);
            pushIndex(s, x, period, LANES, array == Emitter.WS ? inputCount * LANES : 0);
            mv.visitVarInsn(ILOAD, L);
            mv.visitInsn(IADD);
            if (load) {
              mv.visitInsn(DALOAD);
            }
          } else if (load) {
            mv.visitVarInsn(DLOAD, local);
            accumulator = array == Emitter.PG ? local : accumulator;
            local += 2;
          }
          x++;
        }
        case Tape.CONST -> chunks.pushDouble(Double.longBitsToDouble(tape.token(++t)));
        case Tape.OP -> {
          int constants = constantsAfter(token);
          for (int c = 0; c < constants; c++) {
            chunks.pushDouble(Double.longBitsToDouble(tape.token(++t)));
          }
          Emitter.op(mv, Tape.payload(token));
        }
        case Tape.HELPER -> Emitter.helper(mv, Tape.payload(token));
        default -> throw new JitBugException("unknown tape token " + Long.toHexString(token));
      }
    }
    if (accumulator >= 0) {
      mv.visitVarInsn(DSTORE, accumulator);
    } else {
      mv.visitInsn(DASTORE);
    }
    return local;
  }

  /**
   * The fewest terms a statement needs to run as a chain ({@link #isChain}). A chain writes each of
   * its lanes out, so short sums cost more code than a lane loop: with 4, the 10-term adjoint sums
   * of 784-64-10's hidden neurons took its lane classes from 140 to 194 KB.
   */
  static final int CHAIN_MIN_TERMS = 12;

  /**
   * Lanes whose accumulators a chain holds in locals at once, a divisor of {@link #LANES}; a loop
   * runs the chain for each such part of a block. Measured (JMH, one thread,
   * benchmarks/RESULTS-v2-step5.md): 16 lanes ran the 64-32-10 forward batch in 222 µs against 249
   * µs with 8 (the whole batch in 571 against 591 µs), and 784-64-10 the same; 8 lanes write half
   * the code of a chain.
   */
  static final int CHAIN_LANES = LANES;

  /**
   * Locals of a chain: its term counter, three lane indices, its first lane, two scalars, the
   * accumulators.
   */
  private static final int TERM = SCALARS;

  private static final int KEYS = SCALARS + 1;
  private static final int FIRST_LANE = SCALARS + 4;
  private static final int WEIGHTS = SCALARS + 5;
  private static final int ACCUMULATORS = WEIGHTS + 4;

  /**
   * Bytes of one term for one lane: dload, two operands (aload, iload, lane, iadd, daload), ops.
   */
  private static final int LANE_TERM_BYTES = 24;

  /**
   * Bytes of one other token of a chain for one lane: a load (aload, index, iload, iadd, lane,
   * iadd, daload), a constant or an op.
   */
  private static final int LANE_TOKEN_BYTES = 24;

  private static final long MUL = (long) Tape.OP << 56 | Op.MUL.ordinal();

  /**
   * Returns how many terms statement {@code s} holds if it has the shape of a chain, else 0: {@code
   * ws[t] = f(..., h + a_0·b_0 + a_1·b_1 + ...)}, a sum of a head {@code h} loaded from any array
   * and at least {@link #CHAIN_MIN_TERMS} terms of one shape (two loads, a product, a sum), each of
   * whose indices advances by the same step from term to term, inside any expression {@code f}
   * (after the sum, a neuron's activation; around it, the derivative a hidden neuron's adjoint is
   * multiplied by).
   */
  private int chainTerms(int s) {
    shape(s);
    return chainTermsOf[s];
  }

  /**
   * Returns the token of chain statement {@code s} that loads its sum's head, or if it has none
   * ({@link #headless}) the first operand of its first product.
   */
  private int chainHead(int s) {
    shape(s);
    return chainHeadOf[s];
  }

  /**
   * Returns whether chain statement {@code s}'s sum starts with its first product, {@code a_0·b_0 +
   * a_1·b_1 + ...}.
   */
  private boolean headless(int s) {
    shape(s);
    return headlessOf[s];
  }

  /**
   * Returns the index of the head of chain statement {@code s}'s sum (if headless, of {@code a_0}).
   */
  private int headIndex(int s) {
    return indexAt(s, chainHead(s));
  }

  /**
   * Returns the index of {@code a_0}, the first operand of chain statement {@code s}'s first term.
   */
  private int firstTerm(int s) {
    return headIndex(s) + (headless(s) ? 0 : 1);
  }

  /** Returns the token after chain statement {@code s}'s sum. */
  private int sumEnd(int s) {
    return chainHead(s) + 4 * chainTerms(s) + (headless(s) ? -1 : 1);
  }

  /**
   * Returns the index that the first load or target at or after token {@code u} of {@code s} takes.
   */
  private int indexAt(int s, int u) {
    int x = tape.indexStart(s);
    for (int v = tape.tokenStart(s); v < u; v++) {
      long token = tape.token(v);
      x += Tape.type(token) == Tape.TARGET || Tape.type(token) == Tape.LOAD ? 1 : 0;
      v += constantsAfter(token);
    }
    return x;
  }

  /**
   * Finds the sum of statement {@code s} once: the leftmost load that terms follow, or that starts
   * a product that terms follow.
   */
  private void shape(int s) {
    if (chainHeadOf[s] != 0) {
      return;
    }
    chainHeadOf[s] = -1;
    if (isGradient(s)) {
      return;
    }
    int end = tape.tokenEnd(s);
    int x = tape.indexStart(s) + 1;
    for (int u = tape.tokenStart(s) + 1; u + 4 * CHAIN_MIN_TERMS <= end; u++) {
      long token = tape.token(u);
      if (Tape.type(token) == Tape.LOAD) {
        int terms = termsFrom(s, u + 1, x + 1);
        boolean product =
            terms == 0
                && Tape.type(tape.token(u + 1)) == Tape.LOAD
                && tape.token(u + 2) == MUL
                && tape.token(u + 3) == token
                && tape.token(u + 4) == tape.token(u + 1);
        if (product) {
          int after = termsFrom(s, u + 3, x + 2);
          terms = after > 0 && steps(x, x + 2) ? after + 1 : 0;
        }
        if (terms >= CHAIN_MIN_TERMS) {
          chainHeadOf[s] = u;
          chainTermsOf[s] = terms;
          headlessOf[s] = product;
          return;
        }
        x++;
      }
      u += constantsAfter(token);
    }
  }

  /**
   * Returns how many terms of one shape start at token {@code u} of statement {@code s}, the
   * operands of the first at indices {@code x} and {@code x + 1}, if at least {@link
   * #CHAIN_MIN_TERMS} - 1 and their indices advance by equal steps, else 0.
   */
  private int termsFrom(int s, int u, int x) {
    int terms = 0;
    for (int v = u; v + 4 <= tape.tokenEnd(s) && isTerm(u, v); v += 4) {
      terms++;
    }
    for (int j = 1; j + 1 < terms; j++) {
      if (!steps(x + 2 * j - 2, x + 2 * j)) {
        return 0;
      }
    }
    return terms < CHAIN_MIN_TERMS - 1 ? 0 : terms;
  }

  /**
   * Returns whether the operands at indices {@code b} and {@code b + 1} are as far from those at
   * {@code a} and {@code a + 1} as those at {@code b + 2} and {@code b + 3} are from them.
   */
  private boolean steps(int a, int b) {
    for (int k = 0; k < 2; k++) {
      if (tape.index(b + k) - tape.index(a + k) != tape.index(b + 2 + k) - tape.index(b + k)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns whether the four tokens at {@code u} are a term of the shape of the one at {@code
   * first}.
   */
  private boolean isTerm(int first, int u) {
    long sum = tape.token(u + 3);
    int op = Tape.payload(sum);
    return Tape.type(tape.token(u)) == Tape.LOAD
        && Tape.type(tape.token(u + 1)) == Tape.LOAD
        && tape.token(u + 2) == MUL
        && Tape.type(sum) == Tape.OP
        && (op == Op.ADD.ordinal() || op == Op.SUM.ordinal())
        && tape.token(u) == tape.token(first)
        && tape.token(u + 1) == tape.token(first + 1)
        && sum == tape.token(first + 3);
  }

  /**
   * Returns whether statement {@code s} runs as a chain inside a rolled loop of {@code period} (0
   * outside loops): chains are allowed here ({@link #chains}), it has the shape ({@link
   * #chainTerms}), its code fits a chunk method, and in a loop every term's indices advance by the
   * same stride per trip.
   */
  private boolean isChain(int s, int period) {
    int terms = chainTerms(s);
    if (!chains || terms == 0 || chainBytes(s) > MAX_CHAIN_BYTES - 16) {
      return false;
    }
    int x = firstTerm(s);
    for (int j = 1; j < terms && period > 0; j++) {
      for (int k = 0; k < 2; k++) {
        if (stride(s, x + 2 * j + k, period) != stride(s, x + k, period)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * A run of chains that continue one sum: statements {@code [first, last]}, {@code terms} terms in
   * all, among them {@code loops} rolled loops.
   */
  private record ChainRun(int last, int terms, int loops) {}

  /**
   * Returns the run of chains that starts with chain statement {@code s} outside loops: the
   * statements and rolled loops of one statement after it that continue its sum (a neuron's sum cut
   * by {@link Layout} into partial sums), {@code loops.get(next)} the next loop. A statement
   * continues the run if its head loads the run's target, which it writes too, and its terms are
   * the next ones of the run's (same shape, each index one step on); in a loop, each trip's terms
   * the next ones of the trip before. The run ends after a statement with ops after its terms.
   */
  private ChainRun chainRun(int s, List<Rolling.Loop> loops, int next) {
    int terms = chainTerms(s);
    int last = s;
    int consumed = 0;
    while (last + 1 < tape.size() && !hasPrefix(s) && !headless(s) && !hasTail(last)) {
      int n = last + 1;
      Rolling.Loop loop = next + consumed < loops.size() ? loops.get(next + consumed) : null;
      boolean rolled = loop != null && loop.first() == n;
      if (rolled && loop.period() == 1 && !hasTail(n) && continues(s, terms, n, loop.trips())) {
        terms += loop.trips() * chainTerms(n);
        last = loop.end() - 1;
        consumed++;
      } else if (!rolled && continues(s, terms, n, 0)) {
        terms += chainTerms(n);
        last = n;
      } else {
        break;
      }
    }
    return new ChainRun(last, terms, consumed);
  }

  /** Returns whether chain statement {@code s} has tokens after its terms. */
  private boolean hasTail(int s) {
    return tape.tokenEnd(s) > sumEnd(s);
  }

  /** Returns whether chain statement {@code s} has tokens before its sum's head. */
  private boolean hasPrefix(int s) {
    return chainHead(s) > tape.tokenStart(s) + 1;
  }

  /**
   * Returns whether statement {@code n}, alone ({@code trips} 0) or as the body of a rolled loop of
   * period 1 and {@code trips} trips, continues the sum of chain statement {@code s} after its
   * first {@code terms} terms. It must not read the run's slot but at its head: in the joined chain
   * that slot holds the partial sum only at the end.
   */
  private boolean continues(int s, int terms, int n, int trips) {
    int period = trips == 0 ? 0 : 1;
    if (!isChain(n, period)
        || hasPrefix(n)
        || headless(n)
        || readsSlot(n, tape.index(tape.indexStart(s)), Math.max(trips, 1))) {
      return false;
    }
    int a = tape.tokenStart(s);
    int b = tape.tokenStart(n);
    int x = tape.indexStart(s);
    int y = tape.indexStart(n);
    boolean sameSum =
        Tape.payload(tape.token(b + 1)) == Emitter.WS
            && tape.index(y + 1) == tape.index(x)
            && tape.index(y) == tape.index(x);
    for (int i = 2; i < 6; i++) {
      sameSum &= tape.token(a + i) == tape.token(b + i);
    }
    if (!sameSum || period > 0 && (stride(n, y, 1) != 0 || stride(n, y + 1, 1) != 0)) {
      return false;
    }
    for (int k = 0; k < 2; k++) {
      int step = tape.index(x + 4 + k) - tape.index(x + 2 + k);
      if (tape.index(y + 4 + k) - tape.index(y + 2 + k) != step
          || tape.index(y + 2 + k) != tape.index(x + 2 + k) + terms * step
          || period > 0 && stride(n, y + 2 + k, 1) != chainTerms(n) * step) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns whether statement {@code n} loads workspace slot {@code slot} anywhere but at its
   * chain's head, on any of {@code trips} trips of a rolled loop of period 1 (1 outside loops).
   */
  private boolean readsSlot(int n, int slot, int trips) {
    int x = tape.indexStart(n);
    for (int u = tape.tokenStart(n); u < tape.tokenEnd(n); u++) {
      long token = tape.token(u);
      int type = Tape.type(token);
      if (type == Tape.LOAD && u != chainHead(n) && Tape.payload(token) == Emitter.WS) {
        int gap = slot - tape.index(x);
        int step = trips > 1 ? stride(n, x, 1) : 0;
        if (step == 0 ? gap == 0 : gap % step == 0 && gap / step >= 0 && gap / step < trips) {
          return true;
        }
      }
      x += type == Tape.TARGET || type == Tape.LOAD ? 1 : 0;
      u += constantsAfter(token);
    }
    return false;
  }

  /** Returns an upper bound on the bytecode of chain statement {@code s}. */
  private int chainBytes(int s) {
    int others = tape.tokenEnd(s) - tape.tokenStart(s) - 1 - (sumEnd(s) - chainHead(s));
    return 240 + CHAIN_LANES * (2 * LANE_TERM_BYTES + LANE_TOKEN_BYTES * others);
  }

  /**
   * Writes chain statement {@code s} ({@link #isChain}), continued up to statement {@code last} to
   * {@code terms} terms ({@link #chainRun}), with its lanes' accumulators in locals: {@code acc_l =
   * h(l)}; a loop over the terms, each loading its scalar operands once, then {@code acc_l = acc_l
   * + a_j(l)·b_j(l)} for every lane {@code l}, written out; {@code ws[t·LANES + l] = ops(acc_l)},
   * the ops those of {@code last}. Each lane computes the per-row statements' operations in their
   * order (storing a partial sum and loading it again changes no bit); the lanes' chains are
   * independent, so the processor runs them side by side where one lane's chain would wait on each
   * addition.
   */
  private void chain(int s, int last, int terms, int period) {
    int t = tape.tokenStart(s);
    int x = tape.indexStart(s);
    int head = chainHead(s);
    int h = headIndex(s);
    int first = firstTerm(s);
    int tail = sumEnd(last);
    chainStatements++;
    if (period == 0) {
      mv =
          chunks.reserve(
              Math.max(chainBytes(s), chainBytes(last)),
              16 + 2 * (tape.tokenEnd(last) - tape.tokenStart(last) + head - t));
    }
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, FIRST_LANE);
    Label lanes = new Label();
    mv.visitLabel(lanes);
    if (headless(s)) {
      for (int k = 0; k < 2; k++) {
        operand(s, first + k, period, 0, k, KEYS + 1 + k);
      }
      for (int l = 0; l < CHAIN_LANES; l++) {
        laneOperand(s, first, KEYS + 1, WEIGHTS, l);
        laneOperand(s, first + 1, KEYS + 2, WEIGHTS + 2, l);
        Emitter.op(mv, Op.MUL.ordinal());
        mv.visitVarInsn(DSTORE, ACCUMULATORS + 2 * l);
      }
    } else {
      operand(s, h, period, 0, 0, KEYS);
      for (int l = 0; l < CHAIN_LANES; l++) {
        laneOperand(s, h, KEYS, WEIGHTS, l);
        mv.visitVarInsn(DSTORE, ACCUMULATORS + 2 * l);
      }
    }
    chunks.pushInt(headless(s) ? 1 : 0);
    mv.visitVarInsn(ISTORE, TERM);
    Label top = new Label();
    mv.visitLabel(top);
    for (int k = 0; k < 2; k++) {
      int step = tape.index(first + 2 + k) - tape.index(first + k);
      operand(s, first + k, period, step, k, KEYS + 1 + k);
    }
    int sum = head + (headless(s) ? 6 : 4);
    for (int l = 0; l < CHAIN_LANES; l++) {
      mv.visitVarInsn(DLOAD, ACCUMULATORS + 2 * l);
      laneOperand(s, first, KEYS + 1, WEIGHTS, l);
      laneOperand(s, first + 1, KEYS + 2, WEIGHTS + 2, l);
      Emitter.op(mv, Op.MUL.ordinal());
      Emitter.op(mv, Tape.payload(tape.token(sum)));
      mv.visitVarInsn(DSTORE, ACCUMULATORS + 2 * l);
    }
    chunks.loopBack(TERM, 1, terms, top);
    pushIndex(s, x, period, LANES, inputCount * LANES);
    mv.visitVarInsn(ILOAD, FIRST_LANE);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ISTORE, KEYS);
    for (int l = 0; l < CHAIN_LANES; l++) {
      mv.visitVarInsn(ALOAD, WS);
      mv.visitVarInsn(ILOAD, KEYS);
      if (l > 0) {
        chunks.pushInt(l);
        mv.visitInsn(IADD);
      }
      laneTokens(s, t + 1, head, x + 1, period, l);
      mv.visitVarInsn(DLOAD, ACCUMULATORS + 2 * l);
      laneTokens(last, tail, tape.tokenEnd(last), indexAt(last, tail), period, l);
      mv.visitInsn(DASTORE);
    }
    chunks.loopBack(FIRST_LANE, CHAIN_LANES, LANES, lanes);
  }

  /**
   * Writes tokens {@code [from, to)} of statement {@code s}, whose first load takes index {@code
   * x}, for lane {@link #FIRST_LANE} + {@code l}, in a rolled loop of {@code period} (0 outside).
   */
  private void laneTokens(int s, int from, int to, int x, int period, int l) {
    for (int u = from; u < to; u++) {
      long token = tape.token(u);
      int payload = Tape.payload(token);
      switch (Tape.type(token)) {
        case Tape.LOAD -> {
          if (payload == Emitter.P) {
            mv.visitVarInsn(ALOAD, P);
            pushIndex(s, x, period, 1, 0);
          } else if (payload == Emitter.WS || payload == Emitter.IN) {
            mv.visitVarInsn(ALOAD, WS);
            pushIndex(s, x, period, LANES, payload == Emitter.WS ? inputCount * LANES : 0);
            mv.visitVarInsn(ILOAD, FIRST_LANE);
            mv.visitInsn(IADD);
            if (l > 0) {
              chunks.pushInt(l);
              mv.visitInsn(IADD);
            }
          } else {
            throw new JitBugException("a lane statement loads array " + payload);
          }
          mv.visitInsn(DALOAD);
          x++;
        }
        case Tape.CONST -> chunks.pushDouble(Double.longBitsToDouble(tape.token(++u)));
        case Tape.OP -> {
          for (int c = constantsAfter(token); c > 0; c--) {
            chunks.pushDouble(Double.longBitsToDouble(tape.token(++u)));
          }
          Emitter.op(mv, payload);
        }
        case Tape.HELPER -> Emitter.helper(mv, payload);
        default -> throw new JitBugException("unknown tape token " + Long.toHexString(token));
      }
    }
  }

  /**
   * Prepares operand {@code x} of chain statement {@code s} at term {@link #TERM} (advancing by
   * {@code step} per term): a parameter is loaded into scalar {@code k} of {@link #WEIGHTS}, a lane
   * value's index at lane {@link #FIRST_LANE} is stored in int local {@code key}.
   */
  private void operand(int s, int x, int period, int step, int k, int key) {
    boolean scalar = arrayOf(s, x) == Emitter.P;
    if (scalar) {
      mv.visitVarInsn(ALOAD, P);
    }
    int scale = scalar ? 1 : LANES;
    pushIndex(s, x, period, scale, scalar ? 0 : laneOffset(s, x));
    if (step != 0) {
      mv.visitVarInsn(ILOAD, TERM);
      chunks.pushInt(step * scale);
      mv.visitInsn(IMUL);
      mv.visitInsn(IADD);
    }
    if (scalar) {
      mv.visitInsn(DALOAD);
      mv.visitVarInsn(DSTORE, WEIGHTS + 2 * k);
    } else {
      mv.visitVarInsn(ILOAD, FIRST_LANE);
      mv.visitInsn(IADD);
      mv.visitVarInsn(ISTORE, key);
    }
  }

  /** Pushes operand {@code x} of chain statement {@code s} for lane {@code l}, as prepared. */
  private void laneOperand(int s, int x, int key, int weight, int l) {
    if (arrayOf(s, x) == Emitter.P) {
      mv.visitVarInsn(DLOAD, weight);
      return;
    }
    mv.visitVarInsn(ALOAD, WS);
    mv.visitVarInsn(ILOAD, key);
    if (l > 0) {
      chunks.pushInt(l);
      mv.visitInsn(IADD);
    }
    mv.visitInsn(DALOAD);
  }

  /**
   * Pushes {@code offset + scale·(index + stride·i)}: index {@code x} of statement {@code s},
   * advanced by its stride per trip of the rolled loop of {@code period} around it, if any.
   */
  private void pushIndex(int s, int x, int period, int scale, int offset) {
    int index = tape.index(x);
    int stride =
        period == 0 ? 0 : tape.index(tape.indexStart(s + period) + x - tape.indexStart(s)) - index;
    int base = offset + scale * index;
    if (stride == 0) {
      chunks.pushInt(base);
      return;
    }
    mv.visitVarInsn(ILOAD, I);
    if (stride * scale != 1) {
      chunks.pushInt(stride * scale);
      mv.visitInsn(IMUL);
    }
    if (base != 0) {
      chunks.pushInt(base);
      mv.visitInsn(IADD);
    }
  }
}
