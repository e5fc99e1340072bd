package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.internal.OpRules;

/**
 * Lowers structure that the emitter does not yet turn into loops: every n-ary instruction becomes
 * the left-to-right chain of its binary fold op ({@code ((c0 + c1) + c2) + ...}), exactly the
 * expression the engine evaluates.
 *
 * <p>A one-term sum becomes {@code c0 + (-0.0)}: equal to {@code c0} for every double, and it keeps
 * its own node, so reverse mode gives it its own adjoint as the engine does. The compiler runs this
 * right after tracing, so every later stage sees the binary program it has always seen and emits
 * the same code; loops over n-ary structure (Codegen v2) move it later.
 */
final class Lowering {
  private Lowering() {}

  /** Returns {@code p} with every n-ary instruction expanded into a chain of binary ones. */
  static Program expandNary(Program p) {
    return p.rewrite(
        (out, in, i, renamed) -> {
          Op op = in.op(i);
          if (op == null || op.arity() >= 0) {
            return out.copy(in, i, renamed);
          }
          Op fold = OpRules.foldOp(op);
          int n = in.arity(i);
          int acc = renamed[in.operand(i, 0)];
          if (n == 1) {
            return out.binary(fold, acc, out.constant(-0.0));
          }
          for (int j = 1; j < n; j++) {
            acc = out.binary(fold, acc, renamed[in.operand(i, j)]);
          }
          return acc;
        });
  }
}
