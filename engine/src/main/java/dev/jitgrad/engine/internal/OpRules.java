package dev.jitgrad.engine.internal;

import dev.jitgrad.engine.Op;

/**
 * The op table: what every {@link Op} computes and how it pushes the gradient back, each written
 * once. {@code Value} evaluates and differentiates through it, and so does the compiler (its IR
 * interpreter and constant folding use {@link #evaluate}, its reverse mode {@link #derive}); the
 * bytecode of each op is one exhaustive switch in codegen's {@code Emitter}, which does not compile
 * while an op is missing.
 *
 * <p>Adding an op: an {@link Op} entry, its case in each switch below and in the emitter's (the
 * forward and bytecode switches do not compile without it; {@code OpRulesTest} runs the derivative
 * rule of every op), its {@code Value} method, and its tests. Ops take up to three operands and two
 * constants ({@code k}, {@code k2}); n-ary ops ({@link Op#arity()} -1) fold their operands left to
 * right with a binary op's rule ({@link #foldOp}).
 *
 * <p>The branching ops ({@link Op#MAX}, {@link Op#MIN}, {@link Op#ABS}, {@link Op#CLAMP}, {@link
 * Op#WHERE}) take PyTorch 1.13's derivatives at ties, kinks and NaN, as their {@link Op} entries
 * state; where a comparison is needed, the rule calls a {@link Scalar} function through the algebra
 * ({@code step}, {@code sign}, {@code maxWeight}, {@code inRange}).
 */
public final class OpRules {
  private OpRules() {}

  /**
   * Returns the value of {@code op} on operand values {@code x}, {@code y}, {@code z} (unused ones
   * are ignored) and constants {@code k}, {@code k2}: the forward rule of every fixed-arity op.
   *
   * @throws IllegalArgumentException for {@link Op#LEAF} and n-ary ops, which have no such rule
   */
  public static double evaluate(Op op, double x, double y, double z, double k, double k2) {
    return switch (op) { // a switch expression: it does not compile while an op is missing
      case ADD -> x + y;
      case SUB -> x - y;
      case MUL -> x * y;
      case DIV -> x / y;
      case POW -> Math.pow(x, k);
      case NEG -> -x;
      case EXP -> Math.exp(x);
      case LOG -> Math.log(x);
      case TANH -> Math.tanh(x);
      case RELU -> Scalar.relu(x);
      case SIGMOID -> Scalar.sigmoid(x);
      case SOFTPLUS -> Scalar.softplus(x);
      case MAX -> Math.max(x, y);
      case MIN -> Math.min(x, y);
      case ABS -> Math.abs(x);
      case CLAMP -> Scalar.clamp(x, k, k2);
      case WHERE -> Scalar.where(x, y, z);
      case LEAF, SUM -> throw new IllegalArgumentException(op + " has no fixed-arity forward rule");
    };
  }

  /**
   * Returns the binary op that an n-ary op folds its operands with, left to right: {@code ((c0 +
   * c1) + c2) + ...}; a single operand is the value itself.
   *
   * @throws IllegalArgumentException if {@code op} is not n-ary
   */
  public static Op foldOp(Op op) {
    if (op == Op.SUM) {
      return Op.ADD;
    }
    throw new IllegalArgumentException(op + " is not n-ary");
  }

  /**
   * Adds the current node's local derivatives times its adjoint into its operands, through {@code
   * d}: the backward rule of every op. {@code k} and {@code k2} are the node's constants (a POW's
   * exponent, a CLAMP's bounds).
   *
   * <p>Each contribution is written as the engine has always computed it (for example DIV's {@code
   * -o / b * g}), so compiled exact mode reproduces {@code Value.backward()} bit for bit. A rule
   * asks {@link Derivatives#needs} before building a contribution, so reverse mode emits nothing
   * for operands without a gradient.
   *
   * @throws IllegalArgumentException for {@link Op#LEAF}, which has no operands
   */
  public static void derive(Op op, double k, double k2, Derivatives d) {
    int g = d.adjoint();
    switch (op) {
      case ADD:
        if (d.needs(0)) {
          d.accumulate(0, g);
        }
        if (d.needs(1)) {
          d.accumulate(1, g);
        }
        return;
      case SUB:
        if (d.needs(0)) {
          d.accumulate(0, g);
        }
        if (d.needs(1)) {
          d.accumulate(1, d.neg(g));
        }
        return;
      case MUL:
        if (d.needs(0)) {
          d.accumulate(0, d.mul(d.operand(1), g));
        }
        if (d.needs(1)) {
          d.accumulate(1, d.mul(d.operand(0), g));
        }
        return;
      case DIV:
        if (d.needs(0)) {
          d.accumulate(0, d.div(g, d.operand(1)));
        }
        if (d.needs(1)) {
          d.accumulate(1, d.mul(d.div(d.neg(d.output()), d.operand(1)), g));
        }
        return;
      case POW:
        if (d.needs(0)) {
          // x^0 is constant: its derivative is 0 even at x = 0, where k·x^(k-1) would be 0·∞ = NaN.
          int local = k == 0 ? d.constant(0.0) : d.mul(d.constant(k), d.pow(d.operand(0), k - 1));
          d.accumulate(0, d.mul(local, g));
        }
        return;
      case NEG:
        if (d.needs(0)) {
          d.accumulate(0, d.neg(g));
        }
        return;
      case EXP:
        if (d.needs(0)) {
          d.accumulate(0, d.mul(d.output(), g));
        }
        return;
      case LOG:
        if (d.needs(0)) {
          d.accumulate(0, d.div(g, d.operand(0)));
        }
        return;
      case TANH:
        if (d.needs(0)) {
          int o = d.output();
          d.accumulate(0, d.mul(d.sub(d.constant(1), d.mul(o, o)), g));
        }
        return;
      case RELU:
        if (d.needs(0)) {
          d.accumulate(0, d.mul(d.step(d.output()), g));
        }
        return;
      case SIGMOID:
        if (d.needs(0)) {
          int o = d.output();
          d.accumulate(0, d.mul(d.mul(o, d.sub(d.constant(1), o)), g));
        }
        return;
      case SOFTPLUS:
        if (d.needs(0)) {
          d.accumulate(0, d.mul(d.apply(Op.SIGMOID, d.operand(0)), g));
        }
        return;
      case MAX:
      case MIN:
        for (int j = 0; j < 2; j++) {
          if (d.needs(j)) {
            // max gives operand j the share maxWeight(own, other); min(a, b) = -max(-a, -b) swaps
            // them.
            int own = d.operand(op == Op.MAX ? j : 1 - j);
            int other = d.operand(op == Op.MAX ? 1 - j : j);
            d.accumulate(j, d.mul(d.maxWeight(own, other), g));
          }
        }
        return;
      case ABS:
        if (d.needs(0)) {
          d.accumulate(0, d.mul(d.sign(d.operand(0)), g));
        }
        return;
      case CLAMP:
        if (d.needs(0)) {
          d.accumulate(0, d.mul(d.inRange(d.operand(0), d.constant(k), d.constant(k2)), g));
        }
        return;
      case WHERE:
        // The unchosen side gets a zero adjoint, not none: where(x, log(x), 0) at x = 0 passes 0 to
        // log, whose rule makes it 0/0 = NaN, as in PyTorch. Clamp log's argument to avoid it.
        if (d.needs(1)) {
          d.accumulate(1, d.where(d.operand(0), g, d.constant(0.0)));
        }
        if (d.needs(2)) {
          d.accumulate(2, d.where(d.operand(0), d.constant(0.0), g));
        }
        return;
      case SUM:
        for (int j = 0, n = d.operandCount(); j < n; j++) {
          if (d.needs(j)) {
            d.accumulate(j, g);
          }
        }
        return;
      case LEAF:
        break;
    }
    throw new IllegalArgumentException(op + " has no operands to differentiate");
  }
}
