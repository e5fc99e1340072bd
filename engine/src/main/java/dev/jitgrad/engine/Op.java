package dev.jitgrad.engine;

/**
 * The operation that produced a {@link Value}; codegen switches over it.
 *
 * <p>Every rule for an op — how it evaluates and how it pushes the gradient back — lives in the op
 * table, {@link dev.jitgrad.engine.internal.OpRules}, shared by {@link Value} and the compiler.
 */
public enum Op {
  /** A leaf: a number set by the user, with no children. */
  LEAF(0),
  /** {@code a + b}. */
  ADD(2),
  /** {@code a - b}. */
  SUB(2),
  /** {@code a * b}. */
  MUL(2),
  /** {@code a / b}. */
  DIV(2),
  /** {@code a ^ k} for the constant exponent {@link Value#exponent()}. */
  POW(1),
  /** {@code -a}. */
  NEG(1),
  /** {@code e^a}. */
  EXP(1),
  /** The natural logarithm; NaN for negative input, as {@link Math#log}. */
  LOG(1),
  /** The hyperbolic tangent. */
  TANH(1),
  /** {@code max(0, a)}, with derivative 0 at 0 as in micrograd. */
  RELU(1),
  /** The logistic function {@code 1 / (1 + e^-a)}. */
  SIGMOID(1),
  /** {@code log(1 + e^a)}, computed without overflow; its derivative is the sigmoid. */
  SOFTPLUS(1),
  /**
   * The larger of {@code a} and {@code b}, as {@link Math#max} (NaN if either is NaN); at a tie
   * each side gets half the gradient, and with a NaN operand both get all of it, as in PyTorch.
   */
  MAX(2),
  /** The smaller of {@code a} and {@code b}, as {@link Math#min}; gradients as {@link #MAX}'s. */
  MIN(2),
  /** {@code |a|}, with derivative 0 at 0 and at NaN. */
  ABS(1),
  /**
   * {@code a} limited to the constant bounds {@code [lo, hi]}; the gradient passes for {@code lo <=
   * a <= hi}, bounds included, and is 0 outside and at NaN.
   */
  CLAMP(1),
  /**
   * {@code condition > 0 ? a : b} for operands {@code (condition, a, b)}, a NaN condition choosing
   * {@code b}: both sides are evaluated, the gradient goes to the chosen side only and none to the
   * condition.
   */
  WHERE(3),
  /** An n-ary sum {@code ((c0 + c1) + c2) + ...}, so long sums need not be deep chains. */
  SUM(-1);

  private final int arity;

  Op(int arity) {
    this.arity = arity;
  }

  /** Returns the number of children this op takes, or -1 for any number (one or more). */
  public int arity() {
    return arity;
  }
}
