package dev.jitgrad.codegen;

import static dev.jitgrad.codegen.LaneEmitter.LANES;
import static dev.jitgrad.codegen.LaneEmitter.P;
import static dev.jitgrad.codegen.LaneEmitter.SCALARS;
import static dev.jitgrad.codegen.LaneEmitter.WS;
import static dev.jitgrad.codegen.LaneEmitter.arrayOf;
import static dev.jitgrad.codegen.LaneEmitter.constantsAfter;
import static dev.jitgrad.codegen.LaneEmitter.isGradient;
import static dev.jitgrad.codegen.LaneEmitter.laneOffset;
import static dev.jitgrad.codegen.LaneEmitter.pushIndex;
import static dev.jitgrad.codegen.LaneEmitter.shifted;
import static dev.jitgrad.codegen.LaneEmitter.stride;
import static org.objectweb.asm.Opcodes.*;

import dev.jitgrad.engine.Op;
import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

/**
 * The register-blocked form of {@link LaneEmitter} for a long sum of products, {@code h + a_0·b_0 +
 * a_1·b_1 + ...} (a chain, {@link #chain}: a neuron's weighted sum, with the partial sums that
 * {@link Layout} cut it into joined again, or a hidden neuron's adjoint sum). It runs with the
 * accumulators of {@link #CHAIN_LANES} lanes in locals: per term its parameter is loaded once, then
 * each lane adds its product; what the statement does around the sum is done per lane at the store.
 * With the Vector API ({@link LaneVectors}) the accumulators are vectors, and the neurons of a
 * layer written one after another run in blocks of several ({@link #block}), their sums side by
 * side. Each lane still computes its row's operations in their order, so results stay the same to
 * the bit.
 */
final class LaneChains {
  private final Tape tape;
  private final int inputCount;
  private final ChunkedClasses chunks;
  private MethodVisitor mv;
  private int chainStatements;
  private int blocks;

  /**
   * Whether statements may run as chains ({@link #isChain}): not in a rolled loop whose body would
   * then not fit one chunk method, since a chain writes what surrounds its sum once per lane.
   */
  private boolean allowed = true;

  /**
   * The most bytes a chain, or a rolled loop with chains, may take by {@link #chainBytes}'s upper
   * bound: above {@link Emitter#CHUNK_BYTES}, since that bound is loose, but under HotSpot's
   * 8,000-byte limit on the methods it compiles, with room for the chunk's return.
   */
  static final int MAX_CHAIN_BYTES = 7_900;

  /**
   * Per statement: the token of its sum's head ({@link #shape}), -1 if none, 0 if not yet found.
   */
  private final int[] chainHeadOf;

  /** Per statement: how many terms its sum has, 0 if none. */
  private final int[] chainTermsOf;

  /** Per statement: whether its sum starts with a product instead of a head ({@link #shape}). */
  private final boolean[] headlessOf;

  /**
   * The fewest terms a statement needs to run as a chain ({@link #isChain}). A chain writes each of
   * its lanes out, so short sums cost more code than a lane loop: with 4, the 10-term adjoint sums
   * of 784-64-10's hidden neurons took its lane classes from 140 to 194 KB.
   */
  static final int CHAIN_MIN_TERMS = 12;

  /**
   * Lanes whose accumulators a chain holds in locals at once, a divisor of {@link
   * LaneEmitter#LANES}; a loop runs the chain for each such part of a block. Measured (JMH, one
   * thread, benchmarks/RESULTS-v2-step5.md): 16 lanes ran the 64-32-10 forward batch in 222 µs
   * against 249 µs with 8 (the whole batch in 571 against 591 µs), and 784-64-10 the same; 8 lanes
   * write half the code of a chain.
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
   * The first local of a block's vectors where statements stand between its runs: above the scalar
   * locals of the lane and row loops written for those statements ({@link
   * LaneEmitter#GROUP_SCALARS}), which would otherwise overwrite accumulators not yet stored. A
   * group exceeds that bound only if one statement alone does, which {@link Layout}'s limit on a
   * statement's size rules out; were it raised, a class with such a block would fail verification
   * when loaded (a {@link JitBugException}), not compute wrongly.
   */
  private static final int ABOVE_GROUPS = LaneEmitter.SCALARS + 2 * LaneEmitter.GROUP_SCALARS;

  /**
   * Bytes of one term for one lane: dload, two operands (aload, iload, lane, iadd, daload), ops.
   */
  private static final int LANE_TERM_BYTES = 24;

  /**
   * Bytes of one other token of a chain for one lane: a load (aload, index, iload, iadd, lane,
   * iadd, daload), a constant or an op.
   */
  private static final int LANE_TOKEN_BYTES = 24;

  private static final long MUL = Tape.opToken(Op.MUL);

  /**
   * Statements that are not chains, as {@link LaneEmitter} writes them outside loops: bounds on
   * their bytecode and constant pool entries, and their code as lane and row loops.
   */
  interface Statements {
    int bytes(int from, int to);

    int pool(int from, int to);

    void write(MethodVisitor mv, int from, int to);
  }

  private final Statements others;

  LaneChains(Tape tape, int inputCount, ChunkedClasses chunks, Statements others) {
    this.tape = tape;
    this.inputCount = inputCount;
    this.chunks = chunks;
    this.others = others;
    this.chainHeadOf = new int[tape.size()];
    this.chainTermsOf = new int[tape.size()];
    this.headlessOf = new boolean[tape.size()];
  }

  /** Sets whether statements may run as chains from now on ({@link #allowed}). */
  void allow(boolean allowed) {
    this.allowed = allowed;
  }

  /** Returns how many statements ran as chains. */
  int statements() {
    return chainStatements;
  }

  /** Returns how many blocks of more than one run of chains ran ({@link #block}). */
  int blocks() {
    return blocks;
  }

  /**
   * Returns an upper bound on the bytecode of statement {@code s} as a chain ({@link #chainBytes})
   * if chains are allowed and it has the shape ({@link #chainTerms}), else 0.
   */
  int bytes(int s) {
    return allowed && chainTerms(s) > 0 ? chainBytes(s) : 0;
  }

  /**
   * Writes the runs of chains of a {@link #block} outside loops, in a chunk method of their own:
   * together as vectors ({@link #vectorChains}) if the Vector API form runs them, else the one run
   * the block then holds ({@link #chain(int, int, int, int)}).
   */
  void chain(List<Member> block) {
    ChainRun run = block.get(0).run();
    if (!isVector(run.first(), run.last(), 0)) {
      chain(run.first(), run.last(), run.terms(), 0);
      return;
    }
    int bytes = block.size() == 1 ? chainBytes(run.first()) + chainBytes(run.last()) : 0;
    int pool = 16;
    for (Member m : block) {
      ChainRun r = m.run();
      bytes += vectorBytes(r) + others.bytes(r.last() + 1, m.end());
      pool += 2 * (tape.tokenEnd(r.last()) - tape.tokenStart(r.last()) + chainHead(r.first()));
      pool += others.pool(r.last() + 1, m.end()) - 2 * tape.tokenStart(r.first());
    }
    mv = chunks.reserve(bytes, pool);
    blocks += block.size() > 1 ? 1 : 0;
    vectorChains(block, 0);
  }

  /** Writes chain statement {@code s} into {@code mv}, in a rolled loop of {@code period}. */
  void chain(MethodVisitor mv, int s, int period) {
    this.mv = mv;
    if (isVector(s, s, period)) {
      vectorChains(List.of(new Member(new ChainRun(s, s, chainTerms(s), 0), s + 1)), period);
    } else {
      chain(s, s, chainTerms(s), period);
    }
  }

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
    if (isGradient(tape, s)) {
      return;
    }
    int end = tape.tokenEnd(s);
    int x = tape.indexStart(s) + 1;
    // the fewest terms take 4 tokens each, less the first's sum if headless
    for (int u = tape.tokenStart(s) + 1; u + 4 * CHAIN_MIN_TERMS - 1 <= end; u++) {
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
   * outside loops): chains are allowed here ({@link #allowed}), it has the shape ({@link
   * #chainTerms}), its code fits a chunk method, and in a loop every term's indices advance by the
   * same stride per trip.
   */
  boolean isChain(int s, int period) {
    int terms = chainTerms(s);
    if (!allowed || terms == 0 || chainBytes(s) > MAX_CHAIN_BYTES - 16) {
      return false;
    }
    int x = firstTerm(s);
    for (int j = 1; j < terms && period > 0; j++) {
      for (int k = 0; k < 2; k++) {
        if (stride(tape, s, x + 2 * j + k, period) != stride(tape, s, x + k, period)) {
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
  record ChainRun(int first, int last, int terms, int loops) {}

  /**
   * The most vector accumulators a block of chains ({@link #block}) holds: 8 keep a block's
   * accumulators, its broadcast parameters and a lane vector within the 16 vector registers of AVX2
   * (32 with AVX-512), 4 chains of two 512-bit vectors or 2 of four 256-bit ones.
   */
  static final int BLOCK_VECTORS = 8;

  /**
   * A run of chains in a {@link #block}, and the end of the statements after it, up to the next
   * run, that are no chains: they are written after the run's sum is stored.
   */
  record Member(ChainRun run, int end) {}

  /** The most statements that may stand between two runs of a {@link #block}. */
  static final int MAX_BETWEEN = 8;

  /**
   * Returns the runs of chains, from chain statement {@code s} outside loops ({@link #chainRun}),
   * that run together as one block of vectors ({@link #vectorChains}), {@code loops.get(next)} the
   * next rolled loop: with the Vector API form, up to {@link #BLOCK_VECTORS} accumulators' worth of
   * runs, each summing the same lane values with its own parameters ({@link #joins}), the neurons
   * of a layer, and the statements between them (a sum's last short part, an activation);
   * otherwise, or if no run joins, the one run. The last member's end is the statement after its
   * run.
   *
   * <p>One run alone adds each term to the accumulator it has just added the term before to, so it
   * waits on every addition, as many cycles as an addition takes; the runs of a block are
   * independent, so the processor runs their additions side by side, and each lane vector they
   * share is loaded once per term.
   */
  List<Member> block(int s, List<Rolling.Loop> loops, int next) {
    ChainRun run = chainRun(s, loops, next);
    List<Member> block = new ArrayList<>(List.of(new Member(run, run.last() + 1)));
    if (!isVector(s, run.last(), 0)) {
      return block;
    }
    int consumed = run.loops();
    List<Integer> written = new ArrayList<>();
    int vectorBytes = vectorBytes(run);
    int bytes = vectorBytes;
    while ((block.size() + 1) * LaneVectors.PARTS <= BLOCK_VECTORS) {
      int after = run.last() + 1;
      int n = after;
      Rolling.Loop loop = next + consumed < loops.size() ? loops.get(next + consumed) : null;
      while (n < tape.size()
          && n - after < MAX_BETWEEN
          && (loop == null || loop.first() != n)
          && !isGradient(tape, n)
          && !isChain(n, 0)) {
        n++;
      }
      if (n >= tape.size() || loop != null && loop.first() == n || !isChain(n, 0)) {
        break;
      }
      for (int w = after; w < n; w++) {
        written.add(tape.index(tape.indexStart(w)));
      }
      ChainRun r = chainRun(n, loops, next + consumed);
      vectorBytes += vectorBytes(r);
      bytes += vectorBytes(r) + others.bytes(after, n);
      if (vectorBytes > LaneVectors.CHUNK_BYTES
          || bytes > MAX_CHAIN_BYTES
          || !joins(block, r, written)) {
        break;
      }
      block.set(block.size() - 1, new Member(run, n));
      block.add(new Member(r, r.last() + 1));
      run = r;
      consumed += r.loops();
    }
    return block;
  }

  /**
   * Returns whether run {@code r} joins the runs of {@code block} ({@link #block}), the statements
   * between them and before {@code r} writing the slots {@code written}: it runs as vectors, has as
   * many terms, its sum the shape of theirs, the same lane operands at every term and parameters
   * advancing by the same step; and the block computes what the runs and statements one after
   * another do. A block adds all its sums before storing any, so its targets are distinct, no run's
   * sum reads another run's target, and {@code r}'s sum reads no slot that a statement before it
   * writes.
   */
  private boolean joins(List<Member> block, ChainRun r, List<Integer> written) {
    int a = block.get(0).run().first();
    int b = r.first();
    if (r.terms() != block.get(0).run().terms()
        || headless(a) != headless(b)
        || !isVector(b, r.last(), 0)) {
      return false;
    }
    for (int j = 0; j < 5; j++) {
      if (tape.token(chainHead(a) + j) != tape.token(chainHead(b) + j)) {
        return false;
      }
    }
    int fa = firstTerm(a);
    int fb = firstTerm(b);
    for (int k = 0; k < 2; k++) {
      int step = tape.index(fa + 2 + k) - tape.index(fa + k);
      boolean shared = arrayOf(tape, a, fa + k) != Emitter.P;
      if (tape.index(fb + 2 + k) - tape.index(fb + k) != step
          || shared && tape.index(fb + k) != tape.index(fa + k)) {
        return false;
      }
    }
    List<ChainRun> all = new ArrayList<>(block.stream().map(Member::run).toList());
    all.add(r);
    for (ChainRun i : all) {
      for (ChainRun j : all) {
        if (i != j && (target(i) == target(j) || sumReads(i.first(), i.terms(), target(j)))) {
          return false;
        }
      }
    }
    for (int slot : written) {
      if (sumReads(b, r.terms(), slot)) {
        return false;
      }
    }
    return true;
  }

  /** Returns the workspace slot that the statements of run {@code r} write. */
  private int target(ChainRun r) {
    return tape.index(tape.indexStart(r.first()));
  }

  /**
   * Returns whether the sum of chain statement {@code s} outside loops, continued to {@code terms}
   * terms, loads workspace slot {@code slot}: as its head or as an operand of a term.
   */
  private boolean sumReads(int s, int terms, int slot) {
    int h = headIndex(s);
    if (!headless(s) && arrayOf(tape, s, h) == Emitter.WS && tape.index(h) == slot) {
      return true;
    }
    int first = firstTerm(s);
    for (int k = 0; k < 2; k++) {
      int step = tape.index(first + 2 + k) - tape.index(first + k);
      if (arrayOf(tape, s, first + k) == Emitter.WS
          && hits(tape.index(first + k), step, terms, slot)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns whether index {@code slot} is one of the {@code count} indices {@code start + j·step}.
   */
  private static boolean hits(int start, int step, int count, int slot) {
    int gap = slot - start;
    return step == 0 ? gap == 0 : gap % step == 0 && gap / step >= 0 && gap / step < count;
  }

  /**
   * Returns whether each trip of {@code nest} is one run of chains ({@link #chainRun}) and nothing
   * else, so that the nest runs as one counted loop around one chain ({@link #rolledChains})
   * instead of a chain per trip: the neurons of a layer, whose lane code was a copy per neuron (64
   * at 784-64-10), each loop compiled by HotSpot on its own. {@code loops.get(next)} is the nest's
   * first inner loop. Checked on the statements themselves, trip by trip: every trip's run is one
   * the chain writer would write alone, of as many terms; every statement has the shape of the
   * first trip's and every index is the first trip's plus the trip times its stride from the first
   * trip to the second, which is what the loop computes; and within a trip, every term's operands
   * and every statement's target advance by the first statement's, so one chain's index formula
   * holds in every trip. The Vector API form keeps its blocks of neurons instead.
   */
  boolean rollsAsChains(Rolling.Nest nest, List<Rolling.Loop> loops, int next) {
    int s = nest.first();
    int period = nest.tripStatements();
    if (LaneVectors.ON || nest.trips() < 2 || !isChain(s, 0) || nest.inner().size() > 1) {
      return false;
    }
    ChainRun run = chainRun(s, loops, next);
    int perTrip = nest.inner().size();
    if (run.last() != s + period - 1 || run.loops() != perTrip || isVector(s, run.last(), 0)) {
      return false;
    }
    for (int j = 1; j < nest.trips(); j++) {
      int sj = s + j * period;
      if (!isChain(sj, 0)) {
        return false;
      }
      ChainRun r = chainRun(sj, loops, next + j * perTrip);
      if (r.last() != sj + period - 1 || r.terms() != run.terms()) {
        return false;
      }
      for (int n = s; n < s + period; n++) {
        if (!shifted(tape, n, n + j * period, j, period)) {
          return false;
        }
      }
    }
    int first = firstTerm(s);
    int target = tape.indexStart(s);
    for (int n = s; n <= run.last(); n++) {
      int t = tape.indexStart(n);
      int f = n == s ? first : firstTerm(n);
      if (stride(tape, n, t, period) != stride(tape, s, target, period)) {
        return false;
      }
      for (int x = f; x < f + 2 * chainTerms(n); x++) {
        if (stride(tape, n, x, period) != stride(tape, s, first + (x - f) % 2, period)) {
          return false;
        }
      }
    }
    return chainBytes(s) + chainBytes(run.last()) + 16 <= MAX_CHAIN_BYTES;
  }

  /**
   * Writes {@code nest}, which {@link #rollsAsChains}, as a counted loop in local {@link
   * LaneEmitter#I} around its first trip's run of chains, its indices advancing by their strides
   * per trip, in a chunk method of its own; the trips run in order, as the statements do.
   */
  void rolledChains(Rolling.Nest nest, List<Rolling.Loop> loops, int next) {
    ChainRun run = chainRun(nest.first(), loops, next);
    int s = run.first();
    int last = run.last();
    mv =
        chunks.reserve(
            32 + Math.max(chainBytes(s), chainBytes(last)),
            16
                + 4
                    * (tape.tokenEnd(last)
                        - tape.tokenStart(last)
                        + chainHead(s)
                        - tape.tokenStart(s)));
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, LaneEmitter.I);
    Label top = new Label();
    mv.visitLabel(top);
    chain(s, last, run.terms(), nest.tripStatements());
    chunks.loopBack(LaneEmitter.I, 1, nest.trips(), top);
    chainStatements += nest.trips() - 1;
  }

  /**
   * Returns the run of chains that starts with chain statement {@code s} outside loops: the
   * statements and rolled loops of one statement after it that continue its sum (a neuron's sum cut
   * by {@link Layout} into partial sums), {@code loops.get(next)} the next loop. A statement
   * continues the run if its head loads the run's target, which it writes too, and its terms are
   * the next ones of the run's (same shape, each index one step on); in a loop, each trip's terms
   * the next ones of the trip before. The run ends after a statement with ops after its terms.
   */
  ChainRun chainRun(int s, List<Rolling.Loop> loops, int next) {
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
    return new ChainRun(s, last, terms, consumed);
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
    if (!sameSum || period > 0 && (stride(tape, n, y, 1) != 0 || stride(tape, n, y + 1, 1) != 0)) {
      return false;
    }
    for (int k = 0; k < 2; k++) {
      int step = tape.index(x + 4 + k) - tape.index(x + 2 + k);
      if (tape.index(y + 4 + k) - tape.index(y + 2 + k) != step
          || tape.index(y + 2 + k) != tape.index(x + 2 + k) + terms * step
          || period > 0 && stride(tape, n, y + 2 + k, 1) != chainTerms(n) * step) {
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
        if (hits(tape.index(x), trips > 1 ? stride(tape, n, x, 1) : 0, trips, slot)) {
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
    pushIndex(mv, chunks, tape, s, x, period, LANES, inputCount * LANES);
    mv.visitVarInsn(ILOAD, FIRST_LANE);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ISTORE, KEYS);
    for (int l = 0; l < CHAIN_LANES; l++) {
      mv.visitVarInsn(ALOAD, WS);
      laneIndex(KEYS, l);
      laneTokens(s, t + 1, head, x + 1, period, l);
      mv.visitVarInsn(DLOAD, ACCUMULATORS + 2 * l);
      laneTokens(last, tail, tape.tokenEnd(last), indexAt(last, tail), period, l);
      mv.visitInsn(DASTORE);
    }
    chunks.loopBack(FIRST_LANE, CHAIN_LANES, LANES, lanes);
  }

  /**
   * Returns whether tokens {@code [from, to)} of statement {@code s}, in a rolled loop of {@code
   * period} (0 outside), may load the slot that {@code s} writes, on the same trip.
   */
  private boolean loadsTarget(int s, int from, int to, int period) {
    int target = tape.indexStart(s);
    int x = indexAt(s, from);
    for (int u = from; u < to; u++) {
      long token = tape.token(u);
      if (Tape.type(token) == Tape.LOAD) {
        boolean same =
            tape.index(x) == tape.index(target)
                || period > 0 && stride(tape, s, x, period) != stride(tape, s, target, period);
        if (Tape.payload(token) == Emitter.WS && same) {
          return true;
        }
        x++;
      }
      u += constantsAfter(token);
    }
    return false;
  }

  /**
   * Returns whether chain statement {@code s}, continued to statement {@code last}, in a rolled
   * loop of {@code period} (0 outside), runs as vectors ({@link #vectorChains}): the Vector API
   * form is on and neither the ops before its sum nor those after it may read its target, since
   * they run after the sum is stored.
   */
  private boolean isVector(int s, int last, int period) {
    return LaneVectors.ON
        && !loadsTarget(s, tape.tokenStart(s) + 1, chainHead(s), period)
        && !loadsTarget(last, sumEnd(last), tape.tokenEnd(last), period);
  }

  /**
   * An upper bound on the bytecode of run {@code r} in a block of vector chains: its accumulators'
   * start, its parameters' loads per term, its stores and its lane loop over the ops around its
   * sum.
   */
  private int vectorBytes(ChainRun r) {
    int before = chainHead(r.first()) - tape.tokenStart(r.first()) - 1;
    int after = tape.tokenEnd(r.last()) - sumEnd(r.last());
    return 200 + 60 * LaneVectors.PARTS + LANE_TOKEN_BYTES * (before + after);
  }

  /**
   * Writes the runs of chains of a {@link #block} (one chain statement of a rolled loop of {@code
   * period}, or runs outside loops with {@code period} 0) with the accumulators of all {@link
   * #LANES} lanes in {@link LaneVectors#PARTS} vectors per run ({@link LaneVectors}): {@code
   * acc_u,q = h_u(q)}; a loop over the terms, each loading the lane vectors the runs share once and
   * each run's parameter as a vector of one value, then {@code acc_u,q = acc_u,q.add(a_j(q).mul(
   * b_j(q)))} for every run {@code u} and vector {@code q}; then member by member, the vectors
   * stored into its target's lanes and, lane by lane (written out for one run, as before blocks
   * existed; in a loop for several, whose code would not fit a chunk written out), the ops of its
   * first statement before its sum and of its last after it applied to what was stored ({@link
   * #isVector}: none of them reads the target), then the statements after the run up to the
   * member's end. Each lane of each run adds its terms in its row's order, so results stay the same
   * to the bit; run {@code u} is stored, its ops and the statements after it done, before run
   * {@code u + 1} is stored, as the runs and statements one after another would.
   */
  private void vectorChains(List<Member> members, int period) {
    List<ChainRun> runs = members.stream().map(Member::run).toList();
    int n = runs.size();
    int parts = LaneVectors.PARTS;
    int s = runs.get(0).first();
    int first = firstTerm(s);
    boolean between = false;
    for (Member m : members) {
      between |= m.end() > m.run().last() + 1;
    }
    int accumulators = between ? ABOVE_GROUPS : ACCUMULATORS; // run u's vector q: + u·parts + q
    int params = accumulators + n * parts; // run u's parameter operand k: params + 2u + k
    int lanes = params + 2 * n; // lane operand k's vector: lanes + k
    chainStatements += n;
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, FIRST_LANE);
    for (int u = 0; u < n; u++) {
      int su = runs.get(u).first();
      int fu = firstTerm(su);
      if (headless(su)) {
        for (int k = 0; k < 2; k++) {
          vectorOperand(su, fu + k, period, 0, k, params + 2 * u + k);
        }
        for (int q = 0; q < parts; q++) {
          pushVector(su, fu, 0, q, params + 2 * u);
          pushVector(su, fu + 1, 1, q, params + 2 * u + 1);
          LaneVectors.mul(mv);
          mv.visitVarInsn(ASTORE, accumulators + u * parts + q);
        }
      } else {
        vectorOperand(su, headIndex(su), period, 0, 0, params + 2 * u);
        for (int q = 0; q < parts; q++) {
          pushVector(su, headIndex(su), 0, q, params + 2 * u);
          mv.visitVarInsn(ASTORE, accumulators + u * parts + q);
        }
      }
    }
    chunks.pushInt(headless(s) ? 1 : 0);
    mv.visitVarInsn(ISTORE, TERM);
    Label top = new Label();
    mv.visitLabel(top);
    for (int k = 0; k < 2; k++) {
      int step = tape.index(first + 2 + k) - tape.index(first + k);
      for (int u = 0; u < (arrayOf(tape, s, first + k) == Emitter.P ? n : 1); u++) {
        int su = runs.get(u).first();
        vectorOperand(su, firstTerm(su) + k, period, step, k, params + 2 * u + k);
      }
    }
    for (int q = 0; q < parts; q++) {
      for (int k = 0; k < 2; k++) {
        if (arrayOf(tape, s, first + k) != Emitter.P) {
          LaneVectors.load(mv, chunks, WS, KEYS + 1 + k, q);
          mv.visitVarInsn(ASTORE, lanes + k);
        }
      }
      for (int u = 0; u < n; u++) {
        mv.visitVarInsn(ALOAD, accumulators + u * parts + q);
        for (int k = 0; k < 2; k++) {
          boolean param = arrayOf(tape, s, first + k) == Emitter.P;
          mv.visitVarInsn(ALOAD, param ? params + 2 * u + k : lanes + k);
        }
        LaneVectors.mul(mv);
        LaneVectors.add(mv);
        mv.visitVarInsn(ASTORE, accumulators + u * parts + q);
      }
    }
    chunks.loopBack(TERM, 1, runs.get(0).terms(), top);
    for (int u = 0; u < n; u++) {
      store(runs.get(u), period, accumulators + u * parts, n == 1);
      if (members.get(u).end() > runs.get(u).last() + 1) {
        others.write(mv, runs.get(u).last() + 1, members.get(u).end());
      }
    }
  }

  /**
   * Stores the vectors from local {@code accumulators} of run {@code r} into its target's lanes,
   * then applies the ops around its sum lane by lane, as {@link #vectorChains} describes, the lanes
   * written out if {@code unrolled}, else in a loop.
   */
  private void store(ChainRun r, int period, int accumulators, boolean unrolled) {
    int s = r.first();
    int last = r.last();
    int t = tape.tokenStart(s);
    int x = tape.indexStart(s);
    int tail = sumEnd(last);
    pushIndex(mv, chunks, tape, s, x, period, LANES, inputCount * LANES);
    mv.visitVarInsn(ISTORE, KEYS);
    for (int q = 0; q < LaneVectors.PARTS; q++) {
      mv.visitVarInsn(ALOAD, accumulators + q);
      LaneVectors.store(mv, chunks, WS, KEYS, q);
    }
    if (chainHead(s) <= t + 1 && tail >= tape.tokenEnd(last)) {
      return; // nothing around the sum
    }
    Label lanes = new Label();
    if (!unrolled) {
      mv.visitInsn(ICONST_0);
      mv.visitVarInsn(ISTORE, FIRST_LANE);
      mv.visitLabel(lanes);
    }
    for (int l = 0; l < (unrolled ? LANES : 1); l++) {
      for (int load = 0; load < 2; load++) {
        mv.visitVarInsn(ALOAD, WS);
        laneIndex(KEYS, l);
        if (!unrolled) {
          mv.visitVarInsn(ILOAD, FIRST_LANE);
          mv.visitInsn(IADD);
        }
        if (load == 0) {
          laneTokens(s, t + 1, chainHead(s), x + 1, period, l);
        }
      }
      mv.visitInsn(DALOAD);
      laneTokens(last, tail, tape.tokenEnd(last), indexAt(last, tail), period, l);
      mv.visitInsn(DASTORE);
    }
    if (!unrolled) {
      chunks.loopBack(FIRST_LANE, 1, LANES, lanes);
    }
  }

  /** Pushes the index in int local {@code key} of lane {@link #FIRST_LANE}, plus {@code l}. */
  private void laneIndex(int key, int l) {
    mv.visitVarInsn(ILOAD, key);
    if (l > 0) {
      chunks.pushInt(l);
      mv.visitInsn(IADD);
    }
  }

  /**
   * Prepares operand {@code x} of a vector chain as {@link #operand} does, operand {@code k}: a
   * parameter as a vector of its value in object local {@code local}, a lane value's index in int
   * local {@link #KEYS} + 1 + k.
   */
  private void vectorOperand(int s, int x, int period, int step, int k, int local) {
    operand(s, x, period, step, k, KEYS + 1 + k);
    if (arrayOf(tape, s, x) == Emitter.P) {
      LaneVectors.broadcast(mv, WEIGHTS + 2 * k);
      mv.visitVarInsn(ASTORE, local);
    }
  }

  /**
   * Pushes vector {@code q} of operand {@code x} of a vector chain, operand {@code k}, as prepared
   * in {@code local}.
   */
  private void pushVector(int s, int x, int k, int q, int local) {
    if (arrayOf(tape, s, x) == Emitter.P) {
      mv.visitVarInsn(ALOAD, local);
    } else {
      LaneVectors.load(mv, chunks, WS, KEYS + 1 + k, q);
    }
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
            pushIndex(mv, chunks, tape, s, x, period, 1, 0);
          } else if (payload == Emitter.WS || payload == Emitter.IN) {
            mv.visitVarInsn(ALOAD, WS);
            int offset = payload == Emitter.WS ? inputCount * LANES : 0;
            pushIndex(mv, chunks, tape, s, x, period, LANES, offset);
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
    boolean scalar = arrayOf(tape, s, x) == Emitter.P;
    if (scalar) {
      mv.visitVarInsn(ALOAD, P);
    }
    int scale = scalar ? 1 : LANES;
    pushIndex(
        mv, chunks, tape, s, x, period, scale, scalar ? 0 : laneOffset(tape, inputCount, s, x));
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
    if (arrayOf(tape, s, x) == Emitter.P) {
      mv.visitVarInsn(DLOAD, weight);
      return;
    }
    mv.visitVarInsn(ALOAD, WS);
    laneIndex(key, l);
    mv.visitInsn(DALOAD);
  }
}
