package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.internal.Derivatives;
import dev.jitgrad.engine.internal.OpRules;
import java.util.Arrays;

/**
 * Reverse-mode differentiation as an IR-to-IR transformation: the forward program followed by its
 * adjoint program, whose sinks add the gradient of output 0 into the caller's arrays.
 *
 * <p>It mirrors {@code Value.backward()}: instructions are visited in reverse order, the output's
 * adjoint is 1, every other adjoint starts at 0 (a leaf's at the caller's gradient) and gains the
 * contributions of its users in the order the engine adds them, and each op's contributions come
 * from the same rule the engine runs ({@link OpRules#derive}), here building IR instead of
 * computing doubles. Without passes, the result is therefore bit-identical to the interpreter.
 */
final class Reverse implements Derivatives {
  private final Program f;
  private final Program.Builder out;
  private final boolean[] needed;
  private final int[] adjoint;
  private final boolean exact;

  /** The constants built so far, by raw bits (open addressing; an id of 0 marks a free slot). */
  private long[] constantBits = new long[64];

  private int[] constantId = new int[64];
  private int constants;

  /** The instruction whose rule runs, and its adjoint's id. */
  private int node;

  private int g;

  private Reverse(Program f, boolean inputGrads, boolean exact) {
    this.exact = exact;
    this.f = f;
    this.out = f.newBuilder(2 * f.size + 16, 2 * f.operands.length + 16);
    this.needed = new boolean[f.size];
    this.adjoint = new int[f.size];
    Arrays.fill(adjoint, -1);
    for (int i = 0; i < f.size; i++) {
      Kind kind = f.kind(i);
      boolean n = kind == Kind.PARAM || kind == Kind.DOT || (inputGrads && kind == Kind.INPUT);
      for (int j = 0; j < f.arity(i) && !n; j++) {
        n = needed[f.operand(i, j)];
      }
      needed[i] = n;
    }
  }

  /**
   * Returns {@code f} followed by the gradient of its output 0 with respect to params (and inputs).
   *
   * <p>An inner node's adjoint starts at +0.0 when {@code exact}, as in the engine ({@code 0.0 + c}
   * turns a -0.0 contribution into +0.0); otherwise at -0.0, the true identity of addition ({@code
   * -0.0 + c} is {@code c} for every double), so its first contribution is its adjoint and no add
   * is built. Adjoints are only ever multiplied, added, or divided as numerators, so the sign of a
   * zero adjoint changes no gradient by more than that sign.
   *
   * <p>An n-ary SUM passes its adjoint to each operand in operand order, as the engine does, so
   * sums need not be expanded before reverse mode.
   */
  static Program differentiate(Program f, boolean inputGrads, boolean exact) {
    return new Reverse(f, inputGrads, exact).run();
  }

  private Program run() {
    out.copyAll(f);
    int root = f.sinkValue[0];
    if (needed[root] && f.kind(root).isLeaf()) {
      accumulateInto(root, constant(1.0)); // a leaf output accumulates, as backward() does
    } else if (needed[root]) {
      adjoint[root] = constant(1.0);
    }
    for (int i = f.size - 1; i >= 0; i--) {
      if (adjoint[i] == -1 || f.kind(i).isLeaf()) {
        continue;
      }
      if (f.kind(i) == Kind.DOT) {
        dot(i, adjoint[i]);
        continue;
      }
      if (f.kind(i) != Kind.OP) {
        throw new JitBugException("reverse mode met " + f.name(i) + " (%" + i + ")");
      }
      node = i;
      g = adjoint[i];
      OpRules.derive(f.op(i), f.k[i], f.k2(i), this);
    }
    for (int s = 0; s < f.sinkCount(); s++) {
      out.sink(f.sinkValue[s], f.sinkKind[s], f.sinkIndex[s]);
    }
    for (int i = 0; i < f.size; i++) {
      if (adjoint[i] != -1 && f.kind(i) == Kind.PARAM) {
        out.sink(adjoint[i], Program.PARAM_GRAD, f.index(i));
      } else if (adjoint[i] != -1 && f.kind(i) == Kind.INPUT) {
        out.sink(adjoint[i], Program.INPUT_GRAD, f.index(i));
      }
    }
    return out.build();
  }

  /**
   * The rules of the sum and products a DOT stands for, as the engine runs them: the sum passes
   * {@code g} to its first operand, then to each product, whose adjoint starts at zero as any inner
   * node's does; each product's MUL rule then runs, the last product's first, as reverse order
   * visits them (the tracer makes a DOT only where no other use of an x lies between its product
   * and the sum, so every adjoint still gains its terms in the engine's order). The weights' parts
   * are UPDATEs: one for all of them where no x needs a gradient (a first layer); otherwise one per
   * product, written where the MUL rule writes that weight's part, as the traced products had it,
   * so the code made of them is laid out as before.
   */
  private void dot(int i, int g) {
    int a = f.operand(i, 0);
    if (needed[a]) {
      accumulateInto(a, g);
    }
    int product = exact ? out.binary(Op.ADD, constant(0.0), g) : g; // 0.0 + g, or -0.0 + g = g
    int n = f.arity(i) - 1;
    boolean anyX = false;
    for (int j = 1; j <= n && !anyX; j++) {
      anyX = needed[f.operand(i, j)];
    }
    if (!anyX) {
      update(f.index(i), f.k2(i), product, i, 1, n);
      return;
    }
    boolean weightFirst = f.k2(i) > 0;
    for (int j = n; j >= 1; j--) {
      int x = f.operand(i, j);
      int element = f.weight(i, j);
      if (weightFirst) {
        update(element, f.k2(i), product, i, j, j);
      }
      if (needed[x]) {
        accumulateInto(x, out.binary(Op.MUL, out.leaf(Kind.PARAM, element), product));
      }
      if (!weightFirst) {
        update(element, f.k2(i), product, i, j, j);
      }
    }
  }

  /**
   * Appends the UPDATE of DOT {@code i}'s x {@code from} to {@code to} by {@code g}, their weights
   * from param {@code base}, with the DOT's {@code k2}.
   */
  private void update(int base, double k2, int g, int i, int from, int to) {
    out.start(Kind.UPDATE, base, k2);
    out.operand(g);
    for (int j = from; j <= to; j++) {
      out.operand(f.operand(i, j));
    }
  }

  private void accumulateInto(int operand, int contribution) {
    int start = adjoint[operand];
    if (start == -1) {
      Kind kind = f.kind(operand);
      if (kind != Kind.PARAM && kind != Kind.INPUT && !exact) {
        adjoint[operand] = contribution; // -0.0 + contribution
        return;
      }
      start =
          kind == Kind.PARAM
              ? out.leaf(Kind.PARAM_GRAD, f.index(operand))
              : kind == Kind.INPUT ? out.leaf(Kind.INPUT_GRAD, f.index(operand)) : constant(0.0);
    }
    adjoint[operand] = out.binary(Op.ADD, start, contribution);
  }

  // The algebra of the op table's derivative rules, on IR ids of the program being built.

  @Override
  public int operandCount() {
    return f.arity(node);
  }

  @Override
  public int operand(int j) {
    return f.operand(node, j);
  }

  @Override
  public int output() {
    return node;
  }

  @Override
  public int adjoint() {
    return g;
  }

  /** Returns the one instruction of the adjoint program that holds {@code value}. */
  @Override
  public int constant(double value) {
    long bits = Double.doubleToRawLongBits(value);
    int slot = constantSlot(bits);
    if (constantId[slot] != 0) {
      return constantId[slot] - 1;
    }
    int id = out.constant(value);
    constantBits[slot] = bits;
    constantId[slot] = id + 1;
    if (++constants * 2 > constantBits.length) {
      long[] oldBits = constantBits;
      int[] oldIds = constantId;
      constantBits = new long[oldBits.length * 2];
      constantId = new int[oldBits.length * 2];
      for (int k = 0; k < oldBits.length; k++) {
        if (oldIds[k] != 0) {
          int to = constantSlot(oldBits[k]);
          constantBits[to] = oldBits[k];
          constantId[to] = oldIds[k];
        }
      }
    }
    return id;
  }

  /** Returns the slot that holds {@code bits}, or the free slot where it would go. */
  private int constantSlot(long bits) {
    int mask = constantBits.length - 1;
    int slot = Long.hashCode(bits * 0x9E3779B97F4A7C15L) & mask;
    while (constantId[slot] != 0 && constantBits[slot] != bits) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  @Override
  public int add(int a, int b) {
    return out.binary(Op.ADD, a, b);
  }

  @Override
  public int sub(int a, int b) {
    return out.binary(Op.SUB, a, b);
  }

  @Override
  public int mul(int a, int b) {
    return out.binary(Op.MUL, a, b);
  }

  @Override
  public int div(int a, int b) {
    return out.binary(Op.DIV, a, b);
  }

  @Override
  public int neg(int a) {
    return out.unary(Op.NEG, a);
  }

  @Override
  public int pow(int a, double k) {
    return out.unary(Op.POW, a, k);
  }

  @Override
  public int apply(Op op, int a) {
    return out.unary(op, a);
  }

  @Override
  public int step(int a) {
    return out.step(a);
  }

  @Override
  public int sign(int a) {
    return out.helper(Kind.SIGN, a);
  }

  @Override
  public int maxWeight(int a, int b) {
    return out.helper(Kind.MAX_WEIGHT, a, b);
  }

  @Override
  public int inRange(int a, int lo, int hi) {
    return out.helper(Kind.IN_RANGE, a, lo, hi);
  }

  @Override
  public int where(int condition, int a, int b) {
    return out.ternary(Op.WHERE, condition, a, b);
  }

  @Override
  public boolean needs(int j) {
    return needed[f.operand(node, j)];
  }

  @Override
  public void accumulate(int j, int contribution) {
    accumulateInto(f.operand(node, j), contribution);
  }
}
