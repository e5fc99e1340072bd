package dev.jitgrad.engine.internal;

import dev.jitgrad.engine.Op;

/**
 * The algebra that every op's derivative rule is written against, once: {@code Value.backward()}
 * runs it on doubles and codegen's reverse mode on IR instructions, so the two compute the same
 * expressions term for term by construction.
 *
 * <p>Values are {@code int} handles that the implementation hands out for one node at a time: the
 * node's operands, its output, its adjoint ({@code g}), constants, and the results of the
 * operations below. A rule reads handles, combines them, and adds contributions into its operands
 * with {@link #accumulate}; it asks {@link #needs} first, so nothing is built for an operand that
 * needs no gradient.
 */
public interface Derivatives {
  /** Returns how many operands the current node has. */
  int operandCount();

  /** Returns the value of operand {@code j} of the current node. */
  int operand(int j);

  /** Returns the current node's own value. */
  int output();

  /** Returns the current node's adjoint: the gradient of the output with respect to it. */
  int adjoint();

  /** Returns the constant {@code value}. */
  int constant(double value);

  /** Returns {@code a + b}. */
  int add(int a, int b);

  /** Returns {@code a - b}. */
  int sub(int a, int b);

  /** Returns {@code a * b}. */
  int mul(int a, int b);

  /** Returns {@code a / b}. */
  int div(int a, int b);

  /** Returns {@code -a}. */
  int neg(int a);

  /** Returns {@code Math.pow(a, k)} for the constant {@code k}. */
  int pow(int a, double k);

  /** Returns the unary, constant-free {@code op} applied to {@code a}, as its forward rule does. */
  int apply(Op op, int a);

  /** Returns {@link Scalar#step}{@code (a)}: 1 above 0, else 0. */
  int step(int a);

  /** Returns {@link Scalar#sign}{@code (a)}: 1 above 0, -1 below, else 0. */
  int sign(int a);

  /**
   * Returns {@link Scalar#maxWeight}{@code (a, b)}: the share of {@code max(a, b)}'s gradient that
   * goes to {@code a}.
   */
  int maxWeight(int a, int b);

  /** Returns {@link Scalar#inRange}{@code (a, lo, hi)}: 1 inside, else 0. */
  int inRange(int a, int lo, int hi);

  /** Returns {@code condition > 0 ? a : b}, as the {@link Op#WHERE} op computes it. */
  int where(int condition, int a, int b);

  /** Returns whether operand {@code j} needs a gradient (if not, a rule builds nothing for it). */
  boolean needs(int j);

  /** Adds {@code contribution} into operand {@code j}'s gradient. */
  void accumulate(int j, int contribution);
}
