package dev.jitgrad.codegen;

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

  static Program run(List<Pass> passes, Program program) {
    for (Pass pass : passes) {
      program = pass.run().apply(program);
    }
    return program;
  }

  /** Replaces an operation whose operands are all constants by its value. */
  static Program foldConstants(Program p) {
    return p.rewrite(
        (out, op, a, b, k) -> {
          boolean constant =
              op.arity >= 1
                  && out.op(a) == IrOp.CONST
                  && (op.arity == 1 || out.op(b) == IrOp.CONST);
          if (!constant) {
            return out.add(op, a, b, k);
          }
          return out.constant(Interpreter.apply(op, out.k(a), op.arity == 2 ? out.k(b) : 0, k));
        });
  }

  /**
   * Applies identities that hold for every double, signed zeros included: {@code x + -0.0}, {@code
   * -0.0 + x}, {@code x - +0.0}, {@code x·1}, {@code 1·x}, {@code x/1}, {@code --x} and {@code x^1}
   * become x; {@code -0.0 - x} and {@code x·-1} become -x. (No {@code x^2 → x·x}: {@link Math#pow}
   * promises only to be within an ulp, so that rewrite could change a value.)
   */
  static Program simplify(Program p) {
    return p.rewrite(
        (out, op, a, b, k) -> {
          switch (op) {
            case ADD:
              return is(out, b, -0.0) ? a : is(out, a, -0.0) ? b : out.add(op, a, b, k);
            case SUB:
              if (is(out, b, 0.0)) {
                return a;
              }
              return is(out, a, -0.0) ? out.unary(IrOp.NEG, b) : out.add(op, a, b, k);
            case MUL:
              if (is(out, b, 1) || is(out, a, 1)) {
                return is(out, b, 1) ? a : b;
              }
              if (is(out, b, -1) || is(out, a, -1)) {
                return out.unary(IrOp.NEG, is(out, b, -1) ? a : b);
              }
              return out.add(op, a, b, k);
            case DIV:
              return is(out, b, 1) ? a : out.add(op, a, b, k);
            case NEG:
              return out.op(a) == IrOp.NEG ? out.operand(a) : out.add(op, a, b, k);
            case POW:
              return k == 1 ? a : out.add(op, a, b, k);
            default:
              return out.add(op, a, b, k);
          }
        });
  }

  /**
   * Returns whether instruction {@code i} is the constant {@code value}, to the bit (so ±0 differ).
   */
  private static boolean is(Program.Builder out, int i, double value) {
    return out.op(i) == IrOp.CONST
        && Double.doubleToRawLongBits(out.k(i)) == Double.doubleToRawLongBits(value);
  }

  /** Merges instructions that compute the same op on the same operands (hash-consing). */
  static Program eliminateCommonSubexpressions(Program p) {
    // Open addressing over instruction ids, keyed by (op, a, b, bits of k) of the new program.
    int[] table = new int[Integer.highestOneBit(Math.max(p.size, 8)) * 4];
    Arrays.fill(table, -1);
    int mask = table.length - 1;
    return p.rewrite(
        (out, op, a, b, k) -> {
          long bits = Double.doubleToRawLongBits(k);
          int h =
              Long.hashCode(
                  ((op.ordinal() * 31L + a) * 1_000_003L + b) * 0x9E3779B97F4A7C15L ^ bits);
          for (int slot = (h ^ (h >>> 16)) & mask; ; slot = (slot + 1) & mask) {
            int id = table[slot];
            if (id == -1) {
              return table[slot] = out.add(op, a, b, k);
            }
            if (out.op(id) == op
                && out.operand(id) == a
                && out.operand2(id) == b
                && Double.doubleToRawLongBits(out.k(id)) == bits) {
              return id;
            }
          }
        });
  }

  /** Drops instructions that no sink depends on. */
  static Program eliminateDeadCode(Program p) {
    boolean[] live = new boolean[p.size];
    for (int v : p.sinkValue) {
      live[v] = true;
    }
    for (int i = p.size - 1; i >= 0; i--) {
      if (live[i]) {
        int arity = p.op(i).arity;
        if (arity >= 1) {
          live[p.a[i]] = true;
        }
        if (arity == 2) {
          live[p.b[i]] = true;
        }
      }
    }
    return p.rewrite((out, op, a, b, k) -> out.add(op, a, b, k), live);
  }
}
