package dev.jitgrad.codegen;

/**
 * The sealed set of IR instruction kinds: leaves that read a constant or an array element, {@link
 * #OP} for every computation of the engine's op table ({@link dev.jitgrad.engine.Op}, with that
 * op's arity: unary, binary, ternary or n-ary), and the helper functions that only derivative rules
 * use, each a {@link dev.jitgrad.engine.internal.Scalar} function of its operands.
 */
enum Kind {
  /** A constant, the instruction's {@code k}. */
  CONST,
  /** The caller's {@code inputs[index]}. */
  INPUT,
  /** The caller's {@code params[index]}. */
  PARAM,
  /** The caller's {@code paramGrad[index]}: where a parameter's gradient accumulation starts. */
  PARAM_GRAD,
  /** The caller's {@code inputGrad[index]}. */
  INPUT_GRAD,
  /** An engine op applied to its operands (and constants {@code k}, {@code k2}). */
  OP,
  /** {@code Scalar.step(x)}: {@code x > 0 ? 1 : 0}, the derivative of relu. */
  STEP("step", 1),
  /** {@code Scalar.sign(x)}: the derivative of abs. */
  SIGN("sign", 1),
  /** {@code Scalar.maxWeight(a, b)}: the share of max's (and min's) gradient an operand gets. */
  MAX_WEIGHT("maxWeight", 2),
  /** {@code Scalar.inRange(x, lo, hi)}: the derivative of clamp. */
  IN_RANGE("inRange", 3);

  static final Kind[] VALUES = values();

  /** A helper's {@code Scalar} method, or null for leaves and OP. */
  final String function;

  /** A helper's operand count (0 for leaves; an OP's comes from its op). */
  final int arity;

  Kind() {
    this(null, 0);
  }

  Kind(String function, int arity) {
    this.function = function;
    this.arity = arity;
  }

  boolean isLeaf() {
    return ordinal() <= INPUT_GRAD.ordinal();
  }

  /** Returns whether this is a derivative helper function. */
  boolean isHelper() {
    return function != null;
  }
}
