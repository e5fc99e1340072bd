package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.internal.OpRules;

/**
 * Lowers structure that layout does not take as it is: every n-ary instruction becomes the
 * left-to-right chain of its binary fold op ({@code ((c0 + c1) + c2) + ...}), exactly the
 * expression the engine evaluates; a DOT becomes its weights' reads and products, then that chain;
 * an UPDATE becomes its accumulations into the gradient's elements, and their sinks.
 *
 * <p>A one-term sum becomes {@code c0 + (-0.0)}: equal to {@code c0} for every double. The compiler
 * runs this last, on the optimised forward and gradient programs (reverse mode and the passes keep
 * sums whole), with DOTs and UPDATEs kept whole where {@link Layout} lays them out as if expanded
 * ({@link #lower}); saved files, {@code ir()} and the IR interpreter take them expanded. The same
 * rewrite drops the instructions no sink depends on, as {@link Passes#eliminateDeadCode} would
 * before it: the passes leave some (a constant whose users folded away), and a copy of a
 * 300,000-instruction program to drop them took 25–30 ms in a fresh JVM.
 */
final class Lowering {
  private Lowering() {}

  /**
   * Returns how many instructions {@link #expandNary} makes of {@code p} if none of them is dead,
   * without expanding.
   */
  static long expandedSize(Program p) {
    return expandedSize(p, null);
  }

  /**
   * As {@link #expandedSize(Program)}, with the instructions {@code whole} marks left as they are.
   */
  private static long expandedSize(Program p, boolean[] whole) {
    long size = p.size;
    for (int i = 0; i < p.size; i++) {
      Op op = p.op(i);
      if (op != null && op.arity() < 0) {
        size += p.arity(i) == 1 ? 1 : p.arity(i) - 2; // a constant and an add, or n - 1 adds
      } else if (p.kind(i).isStructured() && (whole == null || !whole[i])) {
        size += 3L * (p.arity(i) - 1) - 1; // a param read, a multiply and an add per weight
      }
    }
    return size;
  }

  private static boolean hasNary(Program p) {
    for (int i = 0; i < p.size; i++) {
      Op op = p.op(i);
      if (op != null && op.arity() < 0 || p.kind(i).isStructured()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns {@code p} with every n-ary instruction expanded into a chain of binary ones and without
   * dead code; {@code p} itself if it has neither.
   */
  static Program expandNary(Program p) {
    return expand(p, false);
  }

  /**
   * Returns {@code p} as {@link #expandNary} does, but with each DOT and UPDATE that {@link Layout}
   * lays out whole kept whole: the compiler's programs, which layout and statements ({@link Tape})
   * expand as they write them, so no stage after this one holds the expanded program (at 784-64-10,
   * about 4,000 gradient instructions instead of 308,032).
   */
  static Program lower(Program p) {
    return expand(p, true);
  }

  private static Program expand(Program p, boolean keepWhole) {
    boolean[] live = Passes.live(p);
    long extra = expandedSize(p) - p.size;
    if (live == null && extra == 0 && !hasNary(p)) {
      return p;
    }
    long size = p.size + extra;
    if (size > Integer.MAX_VALUE - 8) {
      throw new GraphTooLargeException("a program", size, Integer.MAX_VALUE - 8);
    }
    boolean[] whole = keepWhole && p.structured ? Layout.takenWhole(p, live) : null;
    if (whole != null) {
      size = expandedSize(p, whole);
      extra = size - p.size;
    }
    return p.rewrite(
        // an n-term sum's n operands become n - 1 adds of 2 each: as many more as instructions
        p.newBuilder((int) size, (int) Math.min(p.operands.length + extra, Integer.MAX_VALUE - 8)),
        new Expand(whole),
        live);
  }

  /**
   * The rule that expands each instruction but those {@code whole} marks (none if null), which it
   * copies; a class, not a lambda, for a fresh JVM's sake (see {@code Passes.Run}).
   */
  private record Expand(boolean[] whole) implements Program.Rule {
    @Override
    public int apply(Program.Builder out, Program in, int i, int[] renamed) {
      return whole != null && whole[i] ? out.copy(in, i, renamed) : expand(out, in, i, renamed);
    }
  }

  /**
   * Appends instruction {@code i} of {@code in}, expanded if n-ary, a DOT or an UPDATE; returns its
   * id (-1 for an UPDATE, which nothing reads).
   */
  private static int expand(Program.Builder out, Program in, int i, int[] renamed) {
    if (in.kind(i).isStructured()) {
      return in.kind(i) == Kind.DOT ? dot(out, in, i, renamed) : update(out, in, i, renamed);
    }
    Op op = in.op(i);
    if (op == null || op.arity() >= 0) {
      return out.copy(in, i, renamed);
    }
    Op fold = OpRules.foldOp(op);
    int n = in.arity(i);
    int acc = renamed[in.operand(i, 0)];
    if (n == 1) {
      return out.binary(fold, acc, out.constant(-0.0));
    }
    for (int j = 1; j < n; j++) {
      acc = out.binary(fold, acc, renamed[in.operand(i, j)]);
    }
    return acc;
  }

  /**
   * Appends DOT {@code i} as the tracer met it: each weight's read and product, in order, then the
   * sum's adds from its first operand on.
   */
  private static int dot(Program.Builder out, Program in, int i, int[] renamed) {
    int n = in.arity(i) - 1;
    boolean weightFirst = in.k2(i) > 0;
    int[] products = new int[n];
    for (int j = 0; j < n; j++) {
      int w = out.leaf(Kind.PARAM, in.weight(i, j + 1));
      int x = renamed[in.operand(i, j + 1)];
      products[j] = weightFirst ? out.binary(Op.MUL, w, x) : out.binary(Op.MUL, x, w);
    }
    int acc = renamed[in.operand(i, 0)];
    for (int product : products) {
      acc = out.binary(Op.ADD, acc, product);
    }
    return acc;
  }

  /**
   * Appends UPDATE {@code i} as reverse mode adds one product's weight gradient at a time, from the
   * last weight to the first: {@code x·g}, the element's read, their sum, and the sum's sink (sinks
   * are written in any order: each writes its own element).
   */
  private static int update(Program.Builder out, Program in, int i, int[] renamed) {
    int g = renamed[in.operand(i, 0)];
    for (int j = in.arity(i) - 1; j >= 1; j--) {
      int contribution = out.binary(Op.MUL, renamed[in.operand(i, j)], g);
      int element = in.weight(i, j);
      int sum = out.binary(Op.ADD, out.leaf(Kind.PARAM_GRAD, element), contribution);
      out.sink(sum, Program.PARAM_GRAD, element);
    }
    return -1;
  }
}
