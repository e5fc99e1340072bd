package dev.jitgrad.codegen;

/**
 * The sealed set of IR instruction kinds: leaves that read a constant or an array element, {@link
 * #OP} for every computation of the engine's op table ({@link dev.jitgrad.engine.Op}, with that
 * op's arity: unary, binary, ternary or n-ary), and the helper functions that only derivative rules
 * use.
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
  /** {@code x > 0 ? 1 : 0}: the derivative of relu, only found in gradient programs. */
  STEP;

  static final Kind[] VALUES = values();

  boolean isLeaf() {
    return ordinal() <= INPUT_GRAD.ordinal();
  }
}
