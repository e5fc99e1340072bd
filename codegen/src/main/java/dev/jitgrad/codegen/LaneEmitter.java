package dev.jitgrad.codegen;

import static org.objectweb.asm.Opcodes.*;

import java.util.ArrayList;
import java.util.List;
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
 * them) where the lane and row loops store and reload them: a long sum of products runs as a chain
 * ({@link LaneChains}), a rolled weight-gradient update as row blocks ({@link LaneUpdates}). Each
 * lane still computes its row's operations in their order and each gradient element adds its rows
 * in row order, so results stay the same to the bit.
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
  static final int WS = 0;

  static final int P = 1;
  static final int PG = 2;
  static final int ROWS = 3;
  static final int I = 4;
  static final int L = 5;

  /** The first local of a group's scalars: its parameters and accumulators, in token order. */
  static final int SCALARS = 6;

  /**
   * The most tokens the statements of one lane or row loop hold together. One loop per statement
   * left C2 with hundreds of loops per chunk, which it did not compile within 5 s (the moons step
   * ran 8× slower than row by row); groups of 64, 256 or unbounded tokens measured the same at
   * 64-32-10 and the moons step (JMH, one thread: see benchmarks/RESULTS-v2-progress.md).
   */
  static final int GROUP_TOKENS = 256;

  /** The most scalar locals (params, accumulators) one lane or row loop takes. */
  static final int GROUP_SCALARS = 120;

  /** An upper bound on the bytes of one token of a lane statement (a load in a rolled loop). */
  private static final int BYTES_PER_TOKEN = 24;

  /** An upper bound on the bytes of a statement's loop control and store. */
  private static final int STATEMENT_BYTES = 40;

  private final Tape tape;
  private final int inputCount;
  private final ChunkedClasses chunks =
      new ChunkedClasses(
          NAME,
          LaneSegment.class,
          RUN,
          ClassWriter.COMPUTE_FRAMES,
          LaneVectors.ON ? LaneVectors.CHUNK_BYTES : Emitter.CHUNK_BYTES);
  private final LaneChains chains;
  private final LaneUpdates updates;
  private MethodVisitor mv;

  private LaneEmitter(Program p, Tape tape, int laneRows) {
    this.tape = tape;
    this.inputCount = p.inputCount;
    this.chains =
        new LaneChains(
            tape,
            inputCount,
            chunks,
            new LaneChains.Statements() {
              @Override
              public int bytes(int from, int to) {
                return bytesBound(from, to);
              }

              @Override
              public int pool(int from, int to) {
                return poolBound(from, to);
              }

              @Override
              public void write(MethodVisitor chunk, int from, int to) {
                mv = chunk;
                groups(from, to, 0);
              }
            });
    this.updates = new LaneUpdates(tape, inputCount, laneRows * LANES, chunks);
  }

  /**
   * The generated lane classes of one program, not yet loaded, the doubles of scratch space they
   * need after the inputs' row-major copy, and how many of its statements ran as chains ({@link
   * LaneChains}), in how many blocks of several runs, weight-gradient updates as row blocks ({@link
   * LaneUpdates}), of them over a row-major copy of slots, and nests rolled trip by trip ({@link
   * #rolledTrips}).
   */
  record Code(
      List<byte[]> classes,
      int chunks,
      int inputCount,
      int laneRows,
      int scratch,
      int chainStatements,
      int chainBlocks,
      int blockedUpdates,
      int transposedUpdates,
      int tripNests) {}

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
    if (!tape.gradientChainsInOneStatement()) {
      return null;
    }
    return new LaneEmitter(p, tape, (int) laneRows)
        .run(Rolling.find(tape, minRollBytes), (int) laneRows);
  }

  /** Returns how many constant tokens follow {@code token} in a tape. */
  static int constantsAfter(long token) {
    return switch (Tape.type(token)) {
      case Tape.CONST -> 1;
      case Tape.OP -> Emitter.constants(Tape.payload(token));
      default -> 0;
    };
  }

  /** Defines the classes of {@code code} as hidden classes and returns a kernel that runs them. */
  static LaneKernel load(Code code) {
    return new LaneKernel(
        ChunkedClasses.load(code.classes(), new LaneSegment[code.classes().size()]),
        code.inputCount(),
        code.laneRows(),
        code.scratch());
  }

  private Code run(List<Rolling.Loop> loops, int laneRows) {
    List<Rolling.Nest> nests = Rolling.nests(tape, loops);
    int[] rolls = new int[nests.size()]; // per nest: 0 not yet asked, 1 chains, 2 updates, -1 none
    List<Rolling.Loop> tripNests = loops.isEmpty() ? List.of() : tripNests(loops, nests);
    int nextNest = 0;
    int nextTrips = 0;
    int next = 0;
    for (int s = 0; s < tape.size(); ) {
      while (nextNest < nests.size() && nests.get(nextNest).first() < s) {
        nextNest++;
      }
      while (nextTrips < tripNests.size() && tripNests.get(nextTrips).first() < s) {
        nextTrips++;
      }
      Rolling.Nest nest = nextNest < nests.size() ? nests.get(nextNest) : null;
      int rolled = nest == null ? -1 : rolls(nests, nextNest, rolls, loops, next);
      Rolling.Loop loop = next < loops.size() ? loops.get(next) : null;
      Rolling.Loop trips = nextTrips < tripNests.size() ? tripNests.get(nextTrips) : null;
      if (trips != null && trips.first() == s) {
        rolledTrips(trips);
        s = trips.end();
        next = Rolling.loopFrom(loops, next, s);
      } else if (rolled > 0 && nest.first() == s) {
        if (rolled == 1) {
          chains.rolledChains(nest, loops, next);
        } else {
          rolledUpdates(nest, loops.get(next));
        }
        s = nest.end();
        next = Rolling.loopFrom(loops, next, s);
      } else if (loop != null && loop.first() == s) {
        loop(loop);
        s = loop.end();
        next++;
      } else if (chains.isChain(s, 0)) {
        List<LaneChains.Member> block = chains.block(s, loops, next);
        chains.chain(block);
        for (LaneChains.Member m : block) {
          s = m.end();
          next += m.run().loops();
        }
      } else {
        // a group stops at a nest that rolls, which would otherwise start inside it
        int limit = loop == null ? tape.size() : loop.first();
        limit = trips == null ? limit : Math.min(limit, trips.first());
        int end = groupEnd(s, rolled > 0 ? Math.min(limit, nest.first()) : limit, 0);
        mv = chunks.reserve(bytesBound(s, end), poolBound(s, end));
        group(s, end, 0);
        s = end;
      }
    }
    List<byte[]> classes = chunks.finish();
    return new Code(
        classes,
        chunks.totalChunks(),
        inputCount,
        laneRows,
        updates.scratchSize(),
        chains.statements(),
        chains.blocks(),
        updates.count(),
        updates.transposedCount(),
        tripNests.size());
  }

  /**
   * Returns the end of the group that starts at statement {@code s}, before {@code limit}: the
   * statements after it of the same kind (lane or row loop) while they hold at most {@link
   * #GROUP_TOKENS} tokens and {@link #GROUP_SCALARS} scalar locals together, up to the next chain
   * ({@link LaneChains#isChain}) in a rolled loop of {@code period} (0 outside loops).
   */
  private int groupEnd(int s, int limit, int period) {
    boolean gradient = isGradient(tape, s);
    int tokens = 0;
    int scalars = 0;
    int end = s;
    while (end < limit
        && isGradient(tape, end) == gradient
        && (end == s || !chains.isChain(end, period))) {
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
  static boolean isGradient(Tape tape, int s) {
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
      bytes += Math.max(statement, chains.bytes(s));
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

  /** Writes statements {@code [from, to)} as groups ({@link #groupEnd}, {@link #group}). */
  private void groups(int from, int to, int period) {
    for (int s = from; s < to; ) {
      int end = groupEnd(s, to, period);
      group(s, end, period);
      s = end;
    }
  }

  /**
   * Returns how nest {@code k} of {@code nests} rolls: 1 as chains ({@link
   * LaneChains#rollsAsChains}), 2 as updates ({@link #rollsAsUpdates}), -1 not; asked once and kept
   * in {@code rolls}. Its first loop is the first of {@code loops} from {@code next} on that starts
   * in it.
   */
  private int rolls(
      List<Rolling.Nest> nests, int k, int[] rolls, List<Rolling.Loop> loops, int next) {
    if (rolls[k] == 0) {
      Rolling.Nest nest = nests.get(k);
      int first = Rolling.loopFrom(loops, next, nest.first());
      rolls[k] =
          chains.rollsAsChains(nest, loops, first)
              ? 1
              : rollsAsUpdates(nest, loops, first) ? 2 : -1;
    }
    return rolls[k];
  }

  /**
   * Returns whether each trip of {@code nest} is statements that are no chains followed by one
   * weight-gradient update loop ({@link LaneUpdates#isScaledUpdate}), {@code loops.get(next)} the
   * first trip's: a hidden neuron's adjoint and bias gradient, then its weights' gradients. Such a
   * nest runs as one counted loop ({@link #rolledUpdates}) instead of a copy per neuron. Checked on
   * the statements, trip by trip: each trip's update is a loop of the first's period and trips, and
   * every statement has the first trip's shape with every index the first trip's plus the trip
   * times its stride from the first trip to the second, the same stride for each statement of the
   * update. The Vector API form, whose updates share row-major copies of slots between neurons,
   * keeps a copy per neuron.
   */
  private boolean rollsAsUpdates(Rolling.Nest nest, List<Rolling.Loop> loops, int next) {
    int s = nest.first();
    int period = nest.tripStatements();
    Rolling.Loop update = next < loops.size() ? loops.get(next) : null;
    if (LaneVectors.ON
        || nest.trips() < 2
        || nest.inner().size() != 1
        || update == null
        || update.end() != s + period
        || update.first() == s
        || !updates.isScaledUpdate(update)) {
      return false;
    }
    for (int n = s; n < update.first(); n++) {
      if (chains.isChain(n, period)) {
        return false;
      }
    }
    // the update writes every element from its first statement's indices: each of its statements'
    // indices must advance per trip as the first's do
    int u0 = tape.indexStart(update.first());
    for (int n = update.first(); n < update.end(); n++) {
      for (int x = tape.indexStart(n); x < tape.indexEnd(n); x++) {
        if (stride(tape, n, x, period)
            != stride(tape, update.first(), u0 + x - tape.indexStart(n), period)) {
          return false;
        }
      }
    }
    for (int j = 1; j < nest.trips(); j++) {
      Rolling.Loop u = next + j < loops.size() ? loops.get(next + j) : null;
      if (u == null
          || u.first() != update.first() + j * period
          || u.period() != update.period()
          || u.trips() != update.trips()) {
        return false;
      }
    }
    return shiftedTrips(new Rolling.Loop(s, period, nest.trips()))
        && 64 + bytesBound(s, update.first()) + UPDATE_BYTES <= Emitter.CHUNK_BYTES;
  }

  /**
   * Runs at least this long ({@link Tape#bytesBound}) are looked for as loops in lane code to find
   * nests to roll trip by trip ({@link #tripNests}); per-row code and lane code's other forms take
   * runs from {@link Rolling#MIN_RUN_BYTES}. A hidden neuron's sixteen weight gradients in the
   * moons model (2-16-16-1) make a run of about 300 bytes.
   */
  static final int TRIP_RUN_BYTES = 256;

  /**
   * The most scalar locals (parameters and accumulators) a group of a nest rolled trip by trip may
   * hold: they stay in registers, where more would spill to the stack at every row.
   */
  static final int TRIP_SCALARS = 24;

  /**
   * Returns the nests, in statement order, that run as one counted loop around their first trip's
   * statements written as groups ({@link #rolledTrips}), each as a loop whose period is one trip,
   * each group's parameters and gradient accumulators in locals: the nests that runs from {@link
   * #TRIP_RUN_BYTES} give, rotated to the fewest groups per trip, where every group holds at most
   * {@link #TRIP_SCALARS} scalars, no statement is a chain, every trip is the first shifted ({@link
   * #shifted}) and no loop or nest of {@code loops} and {@code nests} overlaps (they are searched
   * only in the gaps between those). In the moons model this is a hidden neuron's adjoint (a lane
   * loop), then its bias and weight gradients and the next neuron's output weight gradient, all in
   * one row loop of 18 accumulators; a copy per neuron made C2's code overflow the instruction
   * cache, and the trip begun at the output weight gradient runs that as a row loop of its own, one
   * add latency per row (JMH, benchmarks/RESULTS.md, eleventh session).
   */
  private List<Rolling.Loop> tripNests(List<Rolling.Loop> loops, List<Rolling.Nest> nests) {
    List<Rolling.Loop> found = new ArrayList<>();
    int end = 0;
    int nextLoop = 0;
    int nextNest = 0;
    // search only between the loops and nests found already: the gaps are a small part of a large
    // program's statements, and a trip that overlaps them is not taken anyway
    for (int from = 0; from < tape.size(); ) {
      int to = tape.size();
      int resume = to;
      if (nextLoop < loops.size() && loops.get(nextLoop).first() < to) {
        to = loops.get(nextLoop).first();
        resume = loops.get(nextLoop).end();
      }
      if (nextNest < nests.size() && nests.get(nextNest).first() <= to) {
        to = nests.get(nextNest).first();
        resume = Math.max(resume, nests.get(nextNest).end());
      }
      // a nest is at least MIN_TRIPS trips of a loop of at least MIN_TRIPS statements
      List<Rolling.Loop> runs =
          to - from < Rolling.MIN_TRIPS * Rolling.MIN_TRIPS
              ? List.of()
              : Rolling.find(tape, Rolling.MIN_TRIPS, TRIP_RUN_BYTES, from, to);
      for (Rolling.Nest nest : Rolling.nests(tape, runs, from, to)) {
        Rolling.Loop trips = rotated(nest);
        // rotated, a nest may run past the gap, into the loop or nest that ends it
        if (trips != null
            && trips.first() >= end
            && trips.end() <= to
            && 64 + bytesBound(trips.first(), trips.first() + trips.period())
                <= Emitter.CHUNK_BYTES) {
          found.add(trips);
          end = trips.end();
        }
      }
      from = resume;
      nextLoop = Rolling.loopFrom(loops, nextLoop, from);
      while (nextNest < nests.size() && nests.get(nextNest).first() < from) {
        nextNest++;
      }
    }
    return found;
  }

  /**
   * Returns {@code nest} as one loop whose period is a trip, started at the statement of its first
   * trip that gives the fewest groups per trip (the first such), or null if no start qualifies
   * ({@link #tripNests}).
   */
  private Rolling.Loop rotated(Rolling.Nest nest) {
    Rolling.Loop best = null;
    int fewest = Integer.MAX_VALUE;
    for (int r = 0; r < nest.tripStatements(); r++) {
      Rolling.Loop t = new Rolling.Loop(nest.first() + r, nest.tripStatements(), nest.trips());
      int groups = t.end() <= tape.size() ? groupsPerTrip(t) : -1;
      if (groups > 0 && groups < fewest && shiftedTrips(t)) {
        best = t;
        fewest = groups;
      }
    }
    return best;
  }

  /**
   * Returns how many groups a trip of {@code t} is written as, or -1 if a statement is a chain, a
   * group holds more than {@link #TRIP_SCALARS} scalars or the trip accumulates no gradient.
   */
  private int groupsPerTrip(Rolling.Loop t) {
    int to = t.first() + t.period();
    int groups = 0;
    boolean gradient = false;
    for (int s = t.first(); s < to; ) {
      int end = groupEnd(s, to, t.period());
      int scalars = 0;
      for (int n = s; n < end; n++) {
        // no chain in a trip, rolled or not: a block of chains before the nest stops at it
        if (chains.isChain(n, t.period()) || chains.isChain(n, 0)) {
          return -1;
        }
        scalars += scalars(n);
      }
      if (scalars > TRIP_SCALARS) {
        return -1;
      }
      gradient |= isGradient(tape, s);
      groups++;
      s = end;
    }
    return gradient ? groups : -1;
  }

  /** Returns whether every trip of {@code t} is its first shifted ({@link #shifted}). */
  private boolean shiftedTrips(Rolling.Loop t) {
    for (int j = 1; j < t.trips(); j++) {
      for (int n = t.first(); n < t.first() + t.period(); n++) {
        if (!shifted(tape, n, n + j * t.period(), j, t.period())) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Writes {@code t} as a counted loop in local {@link #I} around its first trip's groups, in
   * order, each index advanced by its stride per trip.
   */
  private void rolledTrips(Rolling.Loop t) {
    int to = t.first() + t.period();
    mv = chunks.reserve(64 + bytesBound(t.first(), to), 32 + poolBound(t.first(), to));
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, I);
    Label top = new Label();
    mv.visitLabel(top);
    groups(t.first(), to, t.period());
    chunks.loopBack(I, 1, t.trips(), top);
  }

  /** An upper bound on the bytes of a rolled nest's update ({@link LaneUpdates#scaledUpdate}). */
  private static final int UPDATE_BYTES =
      400 + 120 * LaneUpdates.UPDATE_ROWS + LaneUpdates.SKIP_BYTES;

  /**
   * Writes {@code nest} ({@link #rollsAsUpdates}) as a counted loop in local {@link #I} around its
   * first trip, {@code update} its update loop, in a chunk method of its own; the trips run in
   * order, as the statements do.
   */
  private void rolledUpdates(Rolling.Nest nest, Rolling.Loop update) {
    int s = nest.first();
    int period = nest.tripStatements();
    mv =
        chunks.reserve(
            64 + bytesBound(s, update.first()) + UPDATE_BYTES,
            36 + poolBound(s, update.first()) + 5 * LaneUpdates.UPDATE_ROWS);
    updates.prepare(nest, update, mv);
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, I);
    Label top = new Label();
    mv.visitLabel(top);
    groups(s, update.first(), period);
    updates.scaledUpdate(update, nest, mv);
    chunks.loopBack(I, 1, nest.trips(), top);
  }

  /** Writes {@code loop}: a counted loop in local {@link #I} around its group's statements. */
  private void loop(Rolling.Loop loop) {
    if (updates.isScaledUpdate(loop)) {
      updates.scaledUpdate(loop);
      return;
    }
    int end = loop.first() + loop.period();
    chains.allow(16 + bytesBound(loop.first(), end) <= LaneChains.MAX_CHAIN_BYTES);
    // bound again: without chains, the body is written as lane and row loops
    mv = chunks.reserve(16 + bytesBound(loop.first(), end), 4 + poolBound(loop.first(), end));
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, I);
    Label top = new Label();
    mv.visitLabel(top);
    for (int s = loop.first(); s < end; ) {
      if (chains.isChain(s, loop.period())) {
        chains.chain(mv, s, loop.period());
        s++;
        continue;
      }
      int groupEnd = groupEnd(s, end, loop.period());
      group(s, groupEnd, loop.period());
      s = groupEnd;
    }
    chunks.loopBack(I, 1, loop.trips(), top);
    chains.allow(true);
  }

  /** Returns how far index {@code x} of statement {@code s} advances per trip of its loop. */
  static int stride(Tape tape, int s, int x, int period) {
    return tape.index(tape.indexStart(s + period) + x - tape.indexStart(s)) - tape.index(x);
  }

  /**
   * Returns whether statement {@code b} is statement {@code a} of the first trip of a nest of
   * {@code period} statements per trip, {@code j} trips on: same shape, every index the first
   * trip's plus {@code j} times its stride, which is what a rolled nest computes.
   */
  static boolean shifted(Tape tape, int a, int b, int j, int period) {
    if (!tape.sameShape(a, b)) {
      return false;
    }
    for (int x = tape.indexStart(a), y = tape.indexStart(b); x < tape.indexEnd(a); x++, y++) {
      if (tape.index(y) != tape.index(x) + (long) j * stride(tape, a, x, period)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns where the lane array region of the array that index {@code x} of {@code s} names
   * starts.
   */
  static int laneOffset(Tape tape, int inputCount, int s, int x) {
    return arrayOf(tape, s, x) == Emitter.WS ? inputCount * LANES : 0;
  }

  /**
   * Returns the tape array (its emitter local) that index {@code x} of statement {@code s} names.
   */
  static int arrayOf(Tape tape, int s, int x) {
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
   * Writes statements {@code [from, to)}, all of one kind, as one lane loop over all lanes or one
   * row loop over the valid rows; {@code period} is that of the rolled loop around them, or 0.
   * Their parameters, and the gradient elements they accumulate, are loaded into locals first; the
   * accumulated elements are stored back after the loop.
   */
  private void group(int from, int to, int period) {
    boolean gradient = isGradient(tape, from);
    int local = SCALARS;
    for (int s = from; s < to; s++) {
      int x = tape.indexStart(s);
      for (int t = tape.tokenStart(s); t < tape.tokenEnd(s); t++) {
        long token = tape.token(t);
        if (isScalarLoad(token)) {
          mv.visitVarInsn(ALOAD, Tape.payload(token) == Emitter.P ? P : PG);
          pushIndex(mv, chunks, tape, s, x, period, 1, 0);
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
          pushIndex(mv, chunks, tape, s, x, period, 1, 0);
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
            int offset = array == Emitter.WS ? inputCount * LANES : 0;
            pushIndex(mv, chunks, tape, s, x, period, LANES, offset);
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
   * Pushes {@code offset + scale·(index + stride·i)}: index {@code x} of statement {@code s},
   * advanced by its stride per trip of the rolled loop of {@code period} around it, if any.
   */
  static void pushIndex(
      MethodVisitor mv,
      ChunkedClasses chunks,
      Tape tape,
      int s,
      int x,
      int period,
      int scale,
      int offset) {
    int index = tape.index(x);
    int stride = period == 0 ? 0 : stride(tape, s, x, period);
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
