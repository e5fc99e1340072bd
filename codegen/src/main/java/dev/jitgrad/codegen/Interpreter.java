package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.internal.OpRules;
import dev.jitgrad.engine.internal.Scalar;

/**
 * Evaluates a program instruction by instruction: the oracle for the emitter and the middle tier of
 * the benchmarks. What each op computes comes from the engine's op table ({@link OpRules}).
 */
final class Interpreter extends Kernel {
  private final Program program;

  // The program decoded once for the run loop: kind, op, and the first three operands (or -1).
  private final Kind[] kinds;
  private final Op[] ops;
  private final int[] x;
  private final int[] y;
  private final int[] z;

  /** Interprets {@code program}, its DOTs and UPDATEs expanded ({@link Lowering#expandNary}). */
  Interpreter(Program program) {
    if (program.structured) {
      program = Lowering.expandNary(program);
    }
    this.program = program;
    int n = program.size;
    kinds = new Kind[n];
    ops = new Op[n];
    x = new int[n];
    y = new int[n];
    z = new int[n];
    for (int i = 0; i < n; i++) {
      kinds[i] = program.kind(i);
      ops[i] = program.op(i);
      int arity = program.arity(i);
      x[i] = arity > 0 ? program.operand(i, 0) : -1;
      y[i] = arity > 1 ? program.operand(i, 1) : -1;
      z[i] = arity > 2 ? program.operand(i, 2) : -1;
    }
  }

  /** Returns the value of computation {@code i} of {@code p} on its operands' {@code values}. */
  static double apply(Program p, int i, double[] values) {
    int n = values.length;
    if (p.kind(i).isHelper()) {
      return helper(p.kind(i), values[0], n > 1 ? values[1] : 0, n > 2 ? values[2] : 0);
    }
    Op op = p.op(i);
    if (op.arity() < 0) {
      Op f = OpRules.foldOp(op);
      double acc = values[0];
      for (int j = 1; j < n; j++) {
        acc = OpRules.evaluate(f, acc, values[j], 0, 0, 0);
      }
      return acc;
    }
    return OpRules.evaluate(
        op, values[0], n > 1 ? values[1] : 0, n > 2 ? values[2] : 0, p.k[i], p.k2(i));
  }

  /**
   * Returns the derivative helper {@code kind} on operand values {@code a}, {@code b}, {@code c}.
   */
  static double helper(Kind kind, double a, double b, double c) {
    return switch (kind) { // a switch expression: it does not compile while a kind is missing
      case STEP -> Scalar.step(a);
      case SIGN -> Scalar.sign(a);
      case MAX_WEIGHT -> Scalar.maxWeight(a, b);
      case IN_RANGE -> Scalar.inRange(a, b, c);
      case CONST, INPUT, PARAM, PARAM_GRAD, INPUT_GRAD, OP, DOT, UPDATE ->
          throw new JitBugException(kind + " is not a derivative helper");
    };
  }

  @Override
  void run(double[] in, double[] p, double[] pg, double[] ig, double[] ws) {
    Program pr = program;
    int base = pr.outputCount;
    for (int i = 0; i < pr.size; i++) {
      double v;
      switch (kinds[i]) {
        case CONST:
          v = pr.k[i];
          break;
        case INPUT:
          v = in[pr.index(i)];
          break;
        case PARAM:
          v = p[pr.index(i)];
          break;
        case PARAM_GRAD:
          v = pg[pr.index(i)];
          break;
        case INPUT_GRAD:
          v = ig[pr.index(i)];
          break;
        case OP:
          v = ops[i].arity() < 0 ? fold(pr, i, ws, base) : compute(i, ws, base);
          break;
        default:
          v =
              helper(
                  kinds[i],
                  operand(x[i], ws, base),
                  operand(y[i], ws, base),
                  operand(z[i], ws, base));
      }
      ws[base + i] = v;
    }
    for (int s = 0; s < pr.sinkCount(); s++) {
      double v = ws[base + pr.sinkValue[s]];
      int index = pr.sinkIndex[s];
      switch (pr.sinkKind[s]) {
        case Program.OUTPUT:
          ws[index] = v;
          break;
        case Program.PARAM_GRAD:
          pg[index] = v;
          break;
        default:
          ig[index] = v;
      }
    }
  }

  private double compute(int i, double[] ws, int base) {
    return OpRules.evaluate(
        ops[i],
        operand(x[i], ws, base),
        operand(y[i], ws, base),
        operand(z[i], ws, base),
        program.k[i],
        program.k2(i));
  }

  /** Returns the value of instruction {@code id}, or 0 for a missing operand ({@code id} -1). */
  private static double operand(int id, double[] ws, int base) {
    return id < 0 ? 0 : ws[base + id];
  }

  private static double fold(Program pr, int i, double[] ws, int base) {
    Op f = OpRules.foldOp(pr.op(i));
    double acc = ws[base + pr.operand(i, 0)];
    for (int j = 1; j < pr.arity(i); j++) {
      acc = OpRules.evaluate(f, acc, ws[base + pr.operand(i, j)], 0, 0, 0);
    }
    return acc;
  }

  @Override
  int workspaceSize() {
    return program.outputCount + program.size;
  }
}
