package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The optimisation passes, each a function from program to program, and the ordered lists that run
 * them.
 *
 * <p>Every rewrite keeps every value, NaN and infinities included: folding computes what the
 * instruction would, the identities hold for every double, signed zeros included, and merging equal
 * instructions of pure ops changes nothing. What they may change is the shape that reverse mode
 * differentiates: after common subexpressions are merged, the adjoints of the merged uses are added
 * before the multiply ({@code y·(0 + 1)}) instead of after ({@code y·0 + y·1}), which turns the
 * engine's NaN into infinity and loses cancelled terms to rounding. So reverse mode runs on the
 * program after {@link #BEFORE_REVERSE}, which merges nothing, and the merging runs on the whole
 * gradient program afterwards. The result: default mode computes the numbers the interpreter
 * computes, and differs at most in the sign of a zero gradient (an adjoint starts at -0.0, the
 * engine's at +0.0). Exact mode runs only dead-code elimination and matches bit for bit.
 */
final class Passes {
  /** A named pass. */
  record Pass(String name, UnaryOperator<Program> run) {}

  /**
   * The passes that run before reverse mode in default mode: none replaces a node by another, so
   * every node keeps its own adjoint and every use its own adjoint term, added in the engine's
   * order. (Even an exact identity would not do: replacing {@code x·1} by {@code x} adds the
   * adjoint terms of {@code x·1}'s users straight into {@code x}'s, a different grouping.)
   */
  static final List<Pass> BEFORE_REVERSE =
      List.of(new Pass("constant folding", Run.FOLD), new Pass("dead code", Run.DEAD_CODE));

  /**
   * The default pipeline, for forward programs and for gradient programs after reverse mode:
   * constant folding, algebraic identities and common subexpressions, as one rewrite ({@link
   * #foldSimplifyMerge}), which gives the program that running them one after another gives, with
   * one copy of the program instead of three. The dead code they leave goes in the next stage's
   * rewrite ({@link Lowering#expandNary}), which drops it as {@link #eliminateDeadCode} would.
   */
  static final List<Pass> DEFAULT =
      List.of(
          new Pass(
              "constant folding, algebraic identities, common subexpressions",
              Run.FOLD_SIMPLIFY_MERGE));

  /**
   * The exact pipeline after reverse mode: nothing that changes the order or grouping of
   * floating-point operations, so nothing; dead code goes in the next stage, as for {@link
   * #DEFAULT}.
   */
  static final List<Pass> EXACT = List.of();

  /** The exact pipeline before reverse mode: dead code only. */
  static final List<Pass> EXACT_BEFORE_REVERSE = List.of(new Pass("dead code", Run.DEAD_CODE));

  /**
   * The passes of the pipelines above, and below the rules they rewrite with, as named classes, not
   * lambdas or method references: a fresh JVM spins a class for each of those the first time it
   * runs, 0.3 to 0.9 ms apiece here, and a first compile ran about fifteen (benchmarks/RESULTS.md,
   * "tenth session").
   */
  private enum Run implements UnaryOperator<Program> {
    FOLD,
    DEAD_CODE,
    FOLD_SIMPLIFY_MERGE;

    @Override
    public Program apply(Program p) {
      return switch (this) {
        case FOLD -> foldConstants(p);
        case DEAD_CODE -> eliminateDeadCode(p);
        case FOLD_SIMPLIFY_MERGE -> foldSimplifyMerge(p);
      };
    }
  }

  private Passes() {}

  /** Returns the pipeline that {@code options} asks for. */
  static List<Pass> forOptions(JitOptions options) {
    return options.exact() ? EXACT : DEFAULT;
  }

  /** Returns the pipeline that runs before reverse mode under {@code options}. */
  static List<Pass> beforeReverse(JitOptions options) {
    return options.exact() ? EXACT_BEFORE_REVERSE : BEFORE_REVERSE;
  }

  /**
   * What becomes of an instruction just appended to the new program: it stays, or it is dropped for
   * an instruction that computes the same; returns the id that stands for it.
   */
  private interface Step {
    int apply(Program.Builder out, int x);
  }

  private static final Step KEEP = new Keep();

  /** The step that keeps what was appended. */
  private static final class Keep implements Step {
    @Override
    public int apply(Program.Builder out, int x) {
      return x;
    }
  }

  /** The rule that folds each instruction and hands what that appends to {@code then}. */
  private record Fold(Step then) implements Program.Rule {
    @Override
    public int apply(Program.Builder out, Program in, int i, int[] renamed) {
      return fold(out, in, i, renamed, then);
    }
  }

  /** The step that simplifies what was appended and hands what that appends to {@code then}. */
  private record Simplify(Step then) implements Step {
    @Override
    public int apply(Program.Builder out, int x) {
      return simplify(out, x, then);
    }
  }

  /** The rule that copies each instruction it is given. */
  private static final class Copy implements Program.Rule {
    @Override
    public int apply(Program.Builder out, Program in, int i, int[] renamed) {
      return out.copy(in, i, renamed);
    }
  }

  /**
   * Replaces an operation whose operands are all constants by its value, and the leading constant
   * terms of a sum by their sum (the fold computes them first either way).
   */
  static Program foldConstants(Program p) {
    if (!anyFoldable(p)) {
      return p;
    }
    return p.rewrite(new Fold(KEEP));
  }

  /**
   * Applies identities that hold for every double, signed zeros included: {@code x + -0.0}, {@code
   * -0.0 + x}, {@code x - +0.0}, {@code x·1}, {@code 1·x}, {@code x/1}, {@code --x} and {@code x^1}
   * become x; {@code -0.0 - x} and {@code x·-1} become -x; a sum loses its -0.0 terms, and a sum of
   * one term is that term. (No {@code x^2 → x·x}: {@link Math#pow} promises only to be within an
   * ulp, so that rewrite could change a value.)
   */
  static Program simplify(Program p) {
    return p.rewrite((out, in, i, renamed) -> simplify(out, out.copy(in, i, renamed), KEEP));
  }

  /** Merges instructions that compute the same op on the same operands (hash-consing). */
  static Program eliminateCommonSubexpressions(Program p) {
    Step merge = new Merge(p.size);
    return p.rewrite((out, in, i, renamed) -> merge.apply(out, out.copy(in, i, renamed)));
  }

  /**
   * Runs {@link #foldConstants}, {@link #simplify} and {@link #eliminateCommonSubexpressions} as
   * one rewrite: each instruction is folded, and what folding appends is simplified, and what that
   * appends is merged, as it is appended. Each rule decides on its instruction and the kinds,
   * constants and ops of its operands, which merging never changes (it maps an instruction to an
   * equal one), so the result is the program that the three passes give one after another.
   */
  static Program foldSimplifyMerge(Program p) {
    return p.rewrite(foldSimplifyMerge(new Merge(p.size)));
  }

  /** Returns the rule of {@link #foldSimplifyMerge} that merges into {@code merge}. */
  private static Program.Rule foldSimplifyMerge(Merge merge) {
    return new Fold(new Simplify(merge));
  }

  /**
   * The pipeline after reverse mode ({@link #forOptions}) run on a program and kept open to go on
   * over a longer program that begins with the same instructions, as the gradient program that
   * reverse mode makes begins with a copy of the program it differentiates.
   *
   * <p>{@link #foldSimplifyMerge} rewrites each instruction from the instructions before it alone,
   * so the rewrite of the longer program begins with the rewrite of the shorter one, instruction
   * for instruction, and the merge table holds the same entries: going on from them gives the
   * longer program's rewrite without rewriting its first part again (102,662 of the 256,635
   * instructions of the 784-64-10 gradient program). In exact mode the pipeline after reverse mode
   * is empty and both programs stay as they are.
   */
  static final class Open {
    private final Program first;
    private final Program rewritten;
    private final Merge merge;
    private final int[] renamed;

    /** Runs the pipeline of {@code options} on {@code first}. */
    Open(Program first, JitOptions options) {
      this.first = first;
      if (forOptions(options).isEmpty()) {
        rewritten = first;
        merge = null;
        renamed = null;
        return;
      }
      merge = new Merge(first.size);
      renamed = new int[first.size];
      rewritten = first.rewrite(first.newBuilder(), foldSimplifyMerge(merge), null, renamed, 0);
    }

    /** Returns the pipeline's result on the first program. */
    Program program() {
      return rewritten;
    }

    /**
     * Returns the pipeline's result on {@code longer}, whose first instructions are the first
     * program's.
     *
     * @throws JitBugException if they are not
     */
    Program extend(Program longer) {
      if (!first.isPrefixOf(longer)) {
        throw new JitBugException("the program does not begin with the one rewritten first");
      }
      if (merge == null) {
        return longer;
      }
      Program.Builder out = longer.newBuilder();
      out.copyAll(rewritten);
      Merge more = merge.copyFor(longer.size);
      int[] names = Arrays.copyOf(renamed, longer.size);
      return longer.rewrite(out, foldSimplifyMerge(more), null, names, first.size);
    }
  }

  /**
   * Appends instruction {@code i} of {@code in}, folded, passing what it appends to {@code next}.
   */
  private static int fold(Program.Builder out, Program in, int i, int[] renamed, Step next) {
    if (in.kind(i).isStructured()) {
      return next.apply(out, out.copy(in, i, renamed)); // reads params, which are no constants
    }
    int n = in.arity(i);
    int constants = 0;
    while (constants < n && out.kind(renamed[in.operand(i, constants)]) == Kind.CONST) {
      constants++;
    }
    if (constants == n && n >= 1) {
      double[] values = new double[n];
      for (int j = 0; j < n; j++) {
        values[j] = out.k(renamed[in.operand(i, j)]);
      }
      return next.apply(out, out.constant(folded(Interpreter.apply(in, i, values))));
    }
    if (constants < 2 || in.op(i) != Op.SUM) {
      return next.apply(out, out.copy(in, i, renamed));
    }
    double acc = out.k(renamed[in.operand(i, 0)]);
    for (int j = 1; j < constants; j++) {
      acc += out.k(renamed[in.operand(i, j)]);
    }
    int head = next.apply(out, out.constant(folded(acc)));
    int id = out.start(Op.SUM, 0, 0);
    out.operand(head);
    for (int j = constants; j < n; j++) {
      out.operand(renamed[in.operand(i, j)]);
    }
    return next.apply(out, id);
  }

  /**
   * Returns {@code value}, a NaN as {@link Double#NaN}: the payload of a NaN computed from NaNs is
   * left open by Java, and HotSpot's interpreted and compiled code give different ones, so a
   * program would fold, and merge with its NaN constants, otherwise as the JVM warms up.
   */
  private static double folded(double value) {
    return Double.isNaN(value) ? Double.NaN : value;
  }

  /**
   * Returns whether some operation of {@code p} starts with two constants or has only constants.
   */
  private static boolean anyFoldable(Program p) {
    for (int i = 0; i < p.size; i++) {
      int n = p.arity(i);
      if (n >= 1
          && p.kind(p.operand(i, 0)) == Kind.CONST
          && (n == 1 || p.kind(p.operand(i, 1)) == Kind.CONST)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Applies the identities of {@link #simplify(Program)} to instruction {@code x}, just appended;
   * what stays or is appended instead goes to {@code next}.
   */
  private static int simplify(Program.Builder out, int x, Step next) {
    Op op = out.op(x);
    if (op == Op.SUM) {
      return sumWithoutNegativeZeros(out, x, next);
    }
    if (op == null || out.arity(x) > 2) {
      return next.apply(out, x);
    }
    int a = out.operand(x, 0);
    int b = out.arity(x) == 2 ? out.operand(x, 1) : -1;
    switch (op) {
      case ADD:
        return is(out, b, -0.0)
            ? replace(out, a)
            : is(out, a, -0.0) ? replace(out, b) : next.apply(out, x);
      case SUB:
        if (is(out, b, 0.0)) {
          return replace(out, a);
        }
        return is(out, a, -0.0) ? negate(out, b, next) : next.apply(out, x);
      case MUL:
        if (is(out, b, 1) || is(out, a, 1)) {
          return replace(out, is(out, b, 1) ? a : b);
        }
        if (is(out, b, -1) || is(out, a, -1)) {
          return negate(out, is(out, b, -1) ? a : b, next);
        }
        return next.apply(out, x);
      case DIV:
        return is(out, b, 1) ? replace(out, a) : next.apply(out, x);
      case NEG:
        return out.op(a) == Op.NEG ? replace(out, out.operand(a, 0)) : next.apply(out, x);
      case POW:
        return out.k(x) == 1 ? replace(out, a) : next.apply(out, x);
      default:
        return next.apply(out, x);
    }
  }

  /** Drops the instruction appended last for {@code y}, which computes the same. */
  private static int replace(Program.Builder out, int y) {
    out.dropLast();
    return y;
  }

  /** Drops the instruction appended last for {@code -y}, passed to {@code next}. */
  private static int negate(Program.Builder out, int y, Step next) {
    out.dropLast();
    return next.apply(out, out.unary(Op.NEG, y));
  }

  /**
   * Simplifies sum {@code x}, just appended, to itself without its -0.0 terms, which change no
   * partial sum; a sum left with one term is that term ({@code c0 + -0.0 = c0}).
   */
  private static int sumWithoutNegativeZeros(Program.Builder out, int x, Step next) {
    int n = out.arity(x);
    int kept = 0;
    int last = -1;
    for (int j = 0; j < n; j++) {
      int o = out.operand(x, j);
      if (!is(out, o, -0.0)) {
        kept++;
        last = o;
      }
    }
    if (kept == n && n > 1) {
      return next.apply(out, x);
    }
    if (kept <= 1) {
      return replace(out, kept == 1 ? last : out.operand(x, 0));
    }
    int[] terms = new int[kept];
    for (int j = 0, t = 0; j < n; j++) {
      int o = out.operand(x, j);
      if (!is(out, o, -0.0)) {
        terms[t++] = o;
      }
    }
    out.dropLast();
    int id = out.start(Op.SUM, 0, 0);
    for (int o : terms) {
      out.operand(o);
    }
    return next.apply(out, id);
  }

  /**
   * Returns whether instruction {@code i} is the constant {@code value}, to the bit (so ±0 differ).
   */
  private static boolean is(Program.Builder out, int i, double value) {
    return out.kind(i) == Kind.CONST
        && Double.doubleToRawLongBits(out.k(i)) == Double.doubleToRawLongBits(value);
  }

  /**
   * Merges an instruction just appended into an earlier equal one: same code, constants (to the
   * bit) and operands, in order.
   *
   * <p>An equal instruction reads the same latest operand (the operand with the highest id), so
   * each value keeps a chain of the instructions whose latest operand it is, and a search walks the
   * chain of the new instruction's latest operand. Operands are mostly values made a little
   * earlier, so the search reads memory near the end of the program: a hash table over all
   * instructions (as before) put each instruction at a random place, and a miss in the cache for
   * nearly every one of them was 75% of the passes over the 100k-node random graph's gradient
   * program (33 against 9 ms warm, with slots that followed the ids instead, in a throwaway
   * harness). A chain holds at most {@link #CHAIN} instructions, so that a value read by many
   * instructions costs no search over all of them; instructions past a full chain, and those
   * without operands (constants and leaves), go into a hash table.
   */
  private static final class Merge implements Step {
    /** The most instructions a chain holds. */
    private static final int CHAIN = 8;

    /** Per value: the last instruction (+ 1) whose latest operand it is, 0 if none. */
    private int[] last;

    /** Per instruction in a chain: the instruction (+ 1) before it in its chain, 0 if none. */
    private int[] before;

    /** Per instruction in a chain: its hash. */
    private int[] hashes;

    /** Per value: how many instructions its chain holds. */
    private byte[] length;

    /** Per slot: 0 if empty, else an entry's hash in the high half and its id + 1 in the low. */
    private long[] table;

    private int entries;

    /** A merge for about {@code instructions} instructions (more are taken too). */
    Merge(int instructions) {
      this(instructions, new int[0], new int[0], new int[0], new byte[0], new long[64], 0);
    }

    private Merge(
        int instructions,
        int[] last,
        int[] before,
        int[] hashes,
        byte[] length,
        long[] table,
        int entries) {
      int n = Math.max(Math.max(instructions, 8), last.length);
      this.last = Arrays.copyOf(last, n);
      this.before = Arrays.copyOf(before, n);
      this.hashes = Arrays.copyOf(hashes, n);
      this.length = Arrays.copyOf(length, n);
      this.table = table;
      this.entries = entries;
    }

    /** Returns a merge for about {@code instructions} instructions holding this one's entries. */
    Merge copyFor(int instructions) {
      return new Merge(instructions, last, before, hashes, length, table.clone(), entries);
    }

    @Override
    public int apply(Program.Builder out, int x) {
      if (out.kind(x) == Kind.UPDATE) {
        return x; // kept for what it writes, never merged
      }
      if (x >= before.length) { // the ids of latest operands are lower
        int grown = Math.max(x + 1, 2 * before.length);
        last = Arrays.copyOf(last, grown);
        before = Arrays.copyOf(before, grown);
        hashes = Arrays.copyOf(hashes, grown);
        length = Arrays.copyOf(length, grown);
      }
      int hash = hash(out, x);
      int n = out.arity(x);
      if (n == 0) {
        return inTable(out, x, hash);
      }
      int latest = out.operand(x, 0);
      for (int j = 1; j < n; j++) {
        latest = Math.max(latest, out.operand(x, j));
      }
      for (int y = last[latest] - 1; y >= 0; y = before[y] - 1) {
        if (hashes[y] == hash && same(out, y, x)) {
          out.dropLast();
          return y;
        }
      }
      if (length[latest] == CHAIN) {
        return inTable(out, x, hash);
      }
      before[x] = last[latest];
      hashes[x] = hash;
      last[latest] = x + 1;
      length[latest]++;
      return x;
    }

    /** Returns the entry of the table equal to {@code x}, or {@code x} entered into it. */
    private int inTable(Program.Builder out, int x, int hash) {
      int mask = table.length - 1;
      for (int slot = firstSlot(hash, mask); ; slot = (slot + 1) & mask) {
        long entry = table[slot];
        if (entry == 0) {
          table[slot] = (long) hash << 32 | (x + 1);
          if (++entries > table.length / 2) {
            grow();
          }
          return x;
        }
        int id = (int) entry - 1;
        if ((int) (entry >>> 32) == hash && same(out, id, x)) {
          out.dropLast();
          return id;
        }
      }
    }

    /** Doubles the table, moving each entry by its hash alone. */
    private void grow() {
      long[] old = table;
      table = new long[2 * old.length];
      int mask = table.length - 1;
      for (long entry : old) {
        if (entry != 0) {
          int slot = firstSlot((int) (entry >>> 32), mask);
          while (table[slot] != 0) {
            slot = (slot + 1) & mask;
          }
          table[slot] = entry;
        }
      }
    }

    private static int firstSlot(int hash, int mask) {
      return (hash ^ (hash >>> 16)) & mask;
    }

    /** Returns the hash of instruction {@code x} of {@code out}: code, constants and operands. */
    private static int hash(Program.Builder out, int x) {
      int n = out.arity(x);
      long h = out.code(x) * 31L + Double.doubleToRawLongBits(out.k(x));
      h = h * 1_000_003L + Double.doubleToRawLongBits(out.k2(x));
      for (int j = 0; j < n; j++) {
        h = h * 1_000_003L + out.operand(x, j);
      }
      return Long.hashCode(h * 0x9E3779B97F4A7C15L);
    }

    /** Returns whether instructions {@code id} and {@code x} of {@code out} are equal. */
    private static boolean same(Program.Builder out, int id, int x) {
      int n = out.arity(x);
      if (out.code(id) != out.code(x)
          || out.arity(id) != n
          || Double.doubleToRawLongBits(out.k(id)) != Double.doubleToRawLongBits(out.k(x))
          || Double.doubleToRawLongBits(out.k2(id)) != Double.doubleToRawLongBits(out.k2(x))) {
        return false;
      }
      for (int j = 0; j < n; j++) {
        if (out.operand(id, j) != out.operand(x, j)) {
          return false;
        }
      }
      return true;
    }
  }

  /** Drops instructions that no sink depends on; returns {@code p} itself if there are none. */
  static Program eliminateDeadCode(Program p) {
    boolean[] live = live(p);
    return live == null ? p : p.rewrite(new Copy(), live);
  }

  /**
   * Returns which instructions of {@code p} some sink or UPDATE depends on, or null if every one
   * does (a rewrite's {@code keep}).
   */
  static boolean[] live(Program p) {
    boolean[] live = new boolean[p.size];
    for (int v : p.sinkValue) {
      live[v] = true;
    }
    int dead = 0;
    for (int i = p.size - 1; i >= 0; i--) {
      if (live[i] || p.kind(i) == Kind.UPDATE) {
        live[i] = true;
        for (int x = p.operandStart[i]; x < p.operandStart[i + 1]; x++) {
          live[p.operands[x]] = true;
        }
      } else {
        dead++;
      }
    }
    return dead == 0 ? null : live;
  }
}
