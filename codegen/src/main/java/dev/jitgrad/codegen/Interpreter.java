package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.Scalar;
import dev.jitgrad.engine.internal.OpRules;

/**
 * Evaluates a program instruction by instruction: the oracle for the emitter and the middle tier of
 * the benchmarks. What each op computes comes from the engine's op table ({@link OpRules}).
 */
final class Interpreter extends Kernel {
  private final Program program;

  Interpreter(Program program) {
    this.program = program;
  }

  /** Returns the value of computation {@code i} of {@code p} on its operands' {@code values}. */
  static double apply(Program p, int i, double[] values) {
    int n = values.length;
    if (p.op(i) != null && p.op(i).arity() < 0) {
      return fold(p.op(i), values[0], values, 1, n);
    }
    return apply(
        p, i, values[0], n > 1 ? values[1] : 0, n > 2 ? values[2] : 0); // arity is at most 3
  }

  /** Returns the value of fixed-arity computation {@code i} on operand values {@code x, y, z}. */
  private static double apply(Program p, int i, double x, double y, double z) {
    if (p.kind(i) == Kind.STEP) {
      return Scalar.step(x);
    }
    return OpRules.evaluate(p.op(i), x, y, z, p.k[i], p.k2(i));
  }

  /** Folds {@code values[from .. to)} into {@code acc} left to right with n-ary {@code op}. */
  private static double fold(Op op, double acc, double[] values, int from, int to) {
    Op f = OpRules.foldOp(op);
    for (int j = from; j < to; j++) {
      acc = OpRules.evaluate(f, acc, values[j], 0, 0, 0);
    }
    return acc;
  }

  @Override
  void run(double[] in, double[] p, double[] pg, double[] ig, double[] ws) {
    Program pr = program;
    int base = pr.outputCount;
    for (int i = 0; i < pr.size; i++) {
      double v;
      switch (pr.kind(i)) {
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
        default:
          v = compute(pr, i, ws, base);
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

  private static double compute(Program pr, int i, double[] ws, int base) {
    int n = pr.arity(i);
    double x = ws[base + pr.operand(i, 0)];
    Op op = pr.op(i);
    if (op != null && op.arity() < 0) {
      Op f = OpRules.foldOp(op);
      for (int j = 1; j < n; j++) {
        x = OpRules.evaluate(f, x, ws[base + pr.operand(i, j)], 0, 0, 0);
      }
      return x;
    }
    double y = n > 1 ? ws[base + pr.operand(i, 1)] : 0;
    double z = n > 2 ? ws[base + pr.operand(i, 2)] : 0;
    return apply(pr, i, x, y, z);
  }

  @Override
  int workspaceSize() {
    return program.outputCount + program.size;
  }
}
