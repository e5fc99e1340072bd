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
  IN_RANGE("inRange", 3),
  /**
   * A neuron's sum, {@code ((a + w1·x1) + w2·x2) + ...} folded left as the engine's sum is: operand
   * 0 is {@code a}, the others are the x; weight {@code j} is {@code params[k + (j - 1)·|k2|]}, the
   * left factor of its product if {@code k2 > 0} and the right one if {@code k2 < 0}. Reverse mode
   * and the passes keep it whole; {@link Lowering} expands it into the traced products and adds, or
   * keeps it whole for {@link Layout} and {@link Tape}, which write the statements of that
   * expansion.
   */
  DOT(null, -1),
  /**
   * The weight gradients of a DOT: {@code paramGrad[k + (j - 1)·|k2|] += xj·g} for {@code j} from
   * the last x down to the first, as reverse mode adds them one product at a time; operand 0 is
   * {@code g}, the others the x. It has no value and no reader: it is kept for what it writes, and
   * {@link Lowering} expands it into the accumulations and their sinks (or, as a DOT, keeps it
   * whole for layout and statements).
   */
  UPDATE(null, -1);

  static final Kind[] VALUES = values();

  /** A helper's {@code Scalar} method, or null for leaves and OP. */
  final String function;

  /** A helper's operand count (0 for leaves, -1 for any; an OP's comes from its op). */
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

  /**
   * Returns whether this is a DOT or UPDATE, which stages 1 to 7 see ({@link Layout}, {@link
   * Tape}); from the statements on, and in saved files, they are gone.
   */
  boolean isStructured() {
    return this == DOT || this == UPDATE;
  }

  /** Returns whether this is a derivative helper function. */
  boolean isHelper() {
    return function != null;
  }
}
