package dev.jitgrad.codegen;

import java.util.Arrays;
import java.util.function.IntSupplier;

/**
 * Reverse-mode differentiation as an IR-to-IR transformation: the forward program followed by its
 * adjoint program, whose sinks add the gradient of output 0 into the caller's arrays.
 *
 * <p>It mirrors {@code Value.backward()}: instructions are visited in reverse order, the output's
 * adjoint is 1, every other adjoint starts at 0 (a leaf's at the caller's gradient) and gains the
 * contributions of its users in the order the engine adds them, and {@link #contribute} writes each
 * op's local derivative as the engine's rule writes it, term for term. Without passes, the result
 * is therefore bit-identical to the interpreter.
 */
final class Reverse {
  private final Program f;
  private final Program.Builder out;
  private final boolean[] needed;
  private final int[] adjoint;
  private final double zero;

  private Reverse(Program f, boolean inputGrads, boolean exact) {
    this.zero = exact ? 0.0 : -0.0;
    this.f = f;
    this.out = f.newBuilder();
    this.needed = new boolean[f.size];
    this.adjoint = new int[f.size];
    Arrays.fill(adjoint, -1);
    for (int i = 0; i < f.size; i++) {
      IrOp op = f.op(i);
      needed[i] =
          op == IrOp.PARAM
              || (inputGrads && op == IrOp.INPUT)
              || (op.arity >= 1 && needed[f.a[i]])
              || (op.arity == 2 && needed[f.b[i]]);
    }
  }

  /**
   * Returns {@code f} followed by the gradient of its output 0 with respect to params (and inputs).
   *
   * <p>An inner node's adjoint starts at +0.0 when {@code exact}, as in the engine ({@code 0.0 + c}
   * turns a -0.0 contribution into +0.0); otherwise at -0.0, the true identity of addition, which
   * the identities pass then removes. Adjoints are only ever multiplied, added, or divided as
   * numerators, so the sign of a zero adjoint changes no gradient by more than that sign.
   */
  static Program differentiate(Program f, boolean inputGrads, boolean exact) {
    return new Reverse(f, inputGrads, exact).run();
  }

  private Program run() {
    for (int i = 0; i < f.size; i++) {
      out.add(f.op(i), f.a[i], f.b[i], f.k[i]);
    }
    int root = f.sinkValue[0];
    if (needed[root] && f.op(root).isLeaf()) {
      accumulate(root, out.constant(1.0)); // a leaf output accumulates, as backward() does
    } else if (needed[root]) {
      adjoint[root] = out.constant(1.0);
    }
    for (int i = f.size - 1; i >= 0; i--) {
      if (adjoint[i] != -1 && !f.op(i).isLeaf()) {
        contribute(i, adjoint[i]);
      }
    }
    for (int s = 0; s < f.sinkCount(); s++) {
      out.sink(f.sinkValue[s], f.sinkKind[s], f.sinkIndex[s]);
    }
    for (int i = 0; i < f.size; i++) {
      if (adjoint[i] != -1 && f.op(i) == IrOp.PARAM) {
        out.sink(adjoint[i], Program.PARAM_GRAD, f.a[i]);
      } else if (adjoint[i] != -1 && f.op(i) == IrOp.INPUT) {
        out.sink(adjoint[i], Program.INPUT_GRAD, f.a[i]);
      }
    }
    return out.build();
  }

  /**
   * Adds instruction {@code i}'s local derivatives times its adjoint {@code g} into its operands.
   */
  private void contribute(int i, int g) {
    int a = f.a[i];
    int b = f.b[i];
    switch (f.op(i)) {
      case ADD:
        accumulate(a, g);
        accumulate(b, g);
        return;
      case SUB:
        accumulate(a, g);
        accumulate(b, () -> out.unary(IrOp.NEG, g));
        return;
      case MUL:
        accumulate(a, () -> out.binary(IrOp.MUL, b, g));
        accumulate(b, () -> out.binary(IrOp.MUL, a, g));
        return;
      case DIV:
        accumulate(a, () -> out.binary(IrOp.DIV, g, b));
        accumulate(
            b, () -> out.binary(IrOp.MUL, out.binary(IrOp.DIV, out.unary(IrOp.NEG, i), b), g));
        return;
      case POW:
        double k = f.k[i];
        // x^0 is constant: its derivative is 0, not 0 · x^-1 (NaN at 0), as in the engine.
        accumulate(
            a,
            () ->
                out.binary(
                    IrOp.MUL,
                    k == 0
                        ? out.constant(0.0)
                        : out.binary(IrOp.MUL, out.constant(k), out.add(IrOp.POW, a, -1, k - 1)),
                    g));
        return;
      case NEG:
        accumulate(a, () -> out.unary(IrOp.NEG, g));
        return;
      case EXP:
        accumulate(a, () -> out.binary(IrOp.MUL, i, g));
        return;
      case LOG:
        accumulate(a, () -> out.binary(IrOp.DIV, g, a));
        return;
      case TANH:
        accumulate(
            a,
            () ->
                out.binary(
                    IrOp.MUL,
                    out.binary(IrOp.SUB, out.constant(1.0), out.binary(IrOp.MUL, i, i)),
                    g));
        return;
      case RELU:
        accumulate(a, () -> out.binary(IrOp.MUL, out.unary(IrOp.STEP, i), g));
        return;
      case SIGMOID:
        accumulate(
            a,
            () ->
                out.binary(
                    IrOp.MUL,
                    out.binary(IrOp.MUL, i, out.binary(IrOp.SUB, out.constant(1.0), i)),
                    g));
        return;
      case SOFTPLUS:
        accumulate(a, () -> out.binary(IrOp.MUL, out.unary(IrOp.SIGMOID, a), g));
        return;
      default:
        throw new AssertionError("no derivative rule for " + f.op(i));
    }
  }

  private void accumulate(int operand, IntSupplier contribution) {
    if (needed[operand]) {
      accumulate(operand, contribution.getAsInt());
    }
  }

  private void accumulate(int operand, int contribution) {
    if (!needed[operand]) {
      return;
    }
    int start = adjoint[operand];
    if (start == -1) {
      IrOp op = f.op(operand);
      start =
          op == IrOp.PARAM
              ? out.add(IrOp.PARAM_GRAD, f.a[operand], -1, 0)
              : op == IrOp.INPUT
                  ? out.add(IrOp.INPUT_GRAD, f.a[operand], -1, 0)
                  : out.constant(zero);
    }
    adjoint[operand] = out.binary(IrOp.ADD, start, contribution);
  }
}
