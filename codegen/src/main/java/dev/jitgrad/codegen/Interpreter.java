package dev.jitgrad.codegen;

import dev.jitgrad.engine.Scalar;

/**
 * Evaluates a program instruction by instruction: the oracle for the emitter and the middle tier of
 * the benchmarks. {@link #apply} is the one place that says what each instruction computes.
 */
final class Interpreter extends Kernel {
  private final Program program;

  Interpreter(Program program) {
    this.program = program;
  }

  /**
   * Returns the value of {@code op} on operand values {@code x} and {@code y}, constant {@code k}.
   */
  static double apply(IrOp op, double x, double y, double k) {
    switch (op) {
      case ADD:
        return x + y;
      case SUB:
        return x - y;
      case MUL:
        return x * y;
      case DIV:
        return x / y;
      case POW:
        return Math.pow(x, k);
      case NEG:
        return -x;
      case EXP:
        return Math.exp(x);
      case LOG:
        return Math.log(x);
      case TANH:
        return Math.tanh(x);
      case RELU:
        return Scalar.relu(x);
      case SIGMOID:
        return Scalar.sigmoid(x);
      case SOFTPLUS:
        return Scalar.softplus(x);
      case STEP:
        return Scalar.step(x);
      default:
        throw new AssertionError("not an operation: " + op);
    }
  }

  @Override
  void run(double[] in, double[] p, double[] pg, double[] ig, double[] ws) {
    Program pr = program;
    int base = pr.outputCount;
    for (int i = 0; i < pr.size; i++) {
      IrOp op = pr.op(i);
      int a = pr.a[i];
      double v;
      switch (op) {
        case CONST:
          v = pr.k[i];
          break;
        case INPUT:
          v = in[a];
          break;
        case PARAM:
          v = p[a];
          break;
        case PARAM_GRAD:
          v = pg[a];
          break;
        case INPUT_GRAD:
          v = ig[a];
          break;
        default:
          double y = op.arity == 2 ? ws[base + pr.b[i]] : 0;
          v = apply(op, ws[base + a], y, pr.k[i]);
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

  @Override
  int workspaceSize() {
    return program.outputCount + program.size;
  }
}
