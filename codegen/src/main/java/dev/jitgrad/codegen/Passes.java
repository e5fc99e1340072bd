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
      List.of(
          new Pass("constant folding", Passes::foldConstants),
          new Pass("dead code", Passes::eliminateDeadCode));

  /** The default pipeline, for forward programs and for gradient programs after reverse mode. */
  static final List<Pass> DEFAULT =
      List.of(
          new Pass("constant folding", Passes::foldConstants),
          new Pass("algebraic identities", Passes::simplify),
          new Pass("common subexpressions", Passes::eliminateCommonSubexpressions),
          new Pass("dead code", Passes::eliminateDeadCode));

  /**
   * The exact pipeline: nothing that changes the order or grouping of floating-point operations.
   */
  static final List<Pass> EXACT = List.of(new Pass("dead code", Passes::eliminateDeadCode));

  private Passes() {}

  /** Returns the pipeline that {@code options} asks for. */
  static List<Pass> forOptions(JitOptions options) {
    return options.exact() ? EXACT : DEFAULT;
  }

  /** Returns the pipeline that runs before reverse mode under {@code options}. */
  static List<Pass> beforeReverse(JitOptions options) {
    return options.exact() ? EXACT : BEFORE_REVERSE;
  }

  /**
   * Replaces an operation whose operands are all constants by its value, and the leading constant
   * terms of a sum by their sum (the fold computes them first either way).
   */
  static Program foldConstants(Program p) {
    if (!anyFoldable(p)) {
      return p;
    }
    return p.rewrite(
        (out, in, i, renamed) -> {
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
            return out.constant(Interpreter.apply(in, i, values));
          }
          if (constants < 2 || in.op(i) != Op.SUM) {
            return out.copy(in, i, renamed);
          }
          double acc = out.k(renamed[in.operand(i, 0)]);
          for (int j = 1; j < constants; j++) {
            acc += out.k(renamed[in.operand(i, j)]);
          }
          int head = out.constant(acc);
          int id = out.start(Op.SUM, 0, 0);
          out.operand(head);
          for (int j = constants; j < n; j++) {
            out.operand(renamed[in.operand(i, j)]);
          }
          return id;
        });
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
   * Applies identities that hold for every double, signed zeros included: {@code x + -0.0}, {@code
   * -0.0 + x}, {@code x - +0.0}, {@code x·1}, {@code 1·x}, {@code x/1}, {@code --x} and {@code x^1}
   * become x; {@code -0.0 - x} and {@code x·-1} become -x; a sum loses its -0.0 terms, and a sum of
   * one term is that term. (No {@code x^2 → x·x}: {@link Math#pow} promises only to be within an
   * ulp, so that rewrite could change a value.)
   */
  static Program simplify(Program p) {
    return p.rewrite(
        (out, in, i, renamed) -> {
          Op op = in.op(i);
          if (op == Op.SUM) {
            return sumWithoutNegativeZeros(out, in, i, renamed);
          }
          if (op == null || in.arity(i) > 2) {
            return out.copy(in, i, renamed);
          }
          int a = renamed[in.operand(i, 0)];
          int b = in.arity(i) == 2 ? renamed[in.operand(i, 1)] : -1;
          switch (op) {
            case ADD:
              return is(out, b, -0.0) ? a : is(out, a, -0.0) ? b : out.copy(in, i, renamed);
            case SUB:
              if (is(out, b, 0.0)) {
                return a;
              }
              return is(out, a, -0.0) ? out.unary(Op.NEG, b) : out.copy(in, i, renamed);
            case MUL:
              if (is(out, b, 1) || is(out, a, 1)) {
                return is(out, b, 1) ? a : b;
              }
              if (is(out, b, -1) || is(out, a, -1)) {
                return out.unary(Op.NEG, is(out, b, -1) ? a : b);
              }
              return out.copy(in, i, renamed);
            case DIV:
              return is(out, b, 1) ? a : out.copy(in, i, renamed);
            case NEG:
              return out.op(a) == Op.NEG ? out.operand(a, 0) : out.copy(in, i, renamed);
            case POW:
              return in.k[i] == 1 ? a : out.copy(in, i, renamed);
            default:
              return out.copy(in, i, renamed);
          }
        });
  }

  /**
   * Appends sum {@code i} without its -0.0 terms, which change no partial sum; a sum left with one
   * term is that term ({@code c0 + -0.0 = c0}).
   */
  private static int sumWithoutNegativeZeros(
      Program.Builder out, Program in, int i, int[] renamed) {
    int n = in.arity(i);
    int kept = 0;
    int last = -1;
    for (int j = 0; j < n; j++) {
      int o = renamed[in.operand(i, j)];
      if (!is(out, o, -0.0)) {
        kept++;
        last = o;
      }
    }
    if (kept == n && n > 1) {
      return out.copy(in, i, renamed);
    }
    if (kept <= 1) {
      return kept == 1 ? last : renamed[in.operand(i, 0)];
    }
    int id = out.start(Op.SUM, 0, 0);
    for (int j = 0; j < n; j++) {
      int o = renamed[in.operand(i, j)];
      if (!is(out, o, -0.0)) {
        out.operand(o);
      }
    }
    return id;
  }

  /**
   * Returns whether instruction {@code i} is the constant {@code value}, to the bit (so ±0 differ).
   */
  private static boolean is(Program.Builder out, int i, double value) {
    return out.kind(i) == Kind.CONST
        && Double.doubleToRawLongBits(out.k(i)) == Double.doubleToRawLongBits(value);
  }

  /** Merges instructions that compute the same op on the same operands (hash-consing). */
  static Program eliminateCommonSubexpressions(Program p) {
    // Open addressing over instruction ids, keyed by (code, operands, bits of k and k2) of the new
    // program.
    int[] table = new int[Integer.highestOneBit(Math.max(p.size, 8)) * 4];
    Arrays.fill(table, -1);
    int mask = table.length - 1;
    return p.rewrite(
        (out, in, i, renamed) -> {
          int n = in.arity(i);
          long h = in.code(i) * 31L + Double.doubleToRawLongBits(in.k[i]);
          h = h * 1_000_003L + Double.doubleToRawLongBits(in.k2(i));
          for (int j = 0; j < n; j++) {
            h = h * 1_000_003L + renamed[in.operand(i, j)];
          }
          int hash = Long.hashCode(h * 0x9E3779B97F4A7C15L);
          for (int slot = (hash ^ (hash >>> 16)) & mask; ; slot = (slot + 1) & mask) {
            int id = table[slot];
            if (id == -1) {
              return table[slot] = out.copy(in, i, renamed);
            }
            if (same(out, id, in, i, renamed)) {
              return id;
            }
          }
        });
  }

  /** Returns whether {@code out}'s instruction {@code id} is instruction {@code i}, renamed. */
  private static boolean same(Program.Builder out, int id, Program in, int i, int[] renamed) {
    int n = in.arity(i);
    if (out.code(id) != in.code(i)
        || out.arity(id) != n
        || Double.doubleToRawLongBits(out.k(id)) != Double.doubleToRawLongBits(in.k[i])
        || Double.doubleToRawLongBits(out.k2(id)) != Double.doubleToRawLongBits(in.k2(i))) {
      return false;
    }
    for (int j = 0; j < n; j++) {
      if (out.operand(id, j) != renamed[in.operand(i, j)]) {
        return false;
      }
    }
    return true;
  }

  /** Drops instructions that no sink depends on; returns {@code p} itself if there are none. */
  static Program eliminateDeadCode(Program p) {
    boolean[] live = new boolean[p.size];
    for (int v : p.sinkValue) {
      live[v] = true;
    }
    int dead = 0;
    for (int i = p.size - 1; i >= 0; i--) {
      if (live[i]) {
        for (int j = 0; j < p.arity(i); j++) {
          live[p.operand(i, j)] = true;
        }
      } else {
        dead++;
      }
    }
    if (dead == 0) {
      return p;
    }
    return p.rewrite((out, in, i, renamed) -> out.copy(in, i, renamed), live);
  }
}
