package dev.jitgrad.codegen;

/**
 * The instructions of the IR. Leaf instructions read an array element whose index is the
 * instruction's {@code a} field; the others read the values of earlier instructions.
 */
enum IrOp {
  CONST(0),
  INPUT(0),
  PARAM(0),
  /** The caller's {@code paramGrad[a]}: where a parameter's gradient accumulation starts. */
  PARAM_GRAD(0),
  /** The caller's {@code inputGrad[a]}. */
  INPUT_GRAD(0),
  ADD(2),
  SUB(2),
  MUL(2),
  DIV(2),
  POW(1),
  NEG(1),
  EXP(1),
  LOG(1),
  TANH(1),
  RELU(1),
  SIGMOID(1),
  SOFTPLUS(1),
  /** {@code x > 0 ? 1 : 0}: the derivative of relu, only found in gradient programs. */
  STEP(1);

  static final IrOp[] VALUES = values();

  final int arity;

  IrOp(int arity) {
    this.arity = arity;
  }

  boolean isLeaf() {
    return arity == 0;
  }
}
