package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;

/**
 * Checks that a program is well formed: every operand defined before its use, arities as the op
 * table says, leaf indices and sinks in range, every output written once and no gradient element
 * twice. A broken rule is a compiler bug, reported as a {@link JitBugException} naming the stage
 * that produced the program. The compiler runs it after every stage when the system property {@code
 * jitgrad.verifyIr} is true (the test configuration sets it).
 */
final class Verifier {
  private Verifier() {}

  /**
   * Returns {@code p} if it is well formed.
   *
   * @throws JitBugException naming {@code stage} and the first broken rule
   */
  static Program verify(Program p, String stage) {
    String problem = problem(p);
    if (problem != null) {
      throw new JitBugException("after " + stage + ", " + problem);
    }
    return p;
  }

  /** Returns the first broken rule of {@code p}, or null if it is well formed. */
  static String problem(Program p) {
    for (int i = 0; i < p.size; i++) {
      String problem = instruction(p, i);
      if (problem != null) {
        return "instruction %" + i + " (" + p.name(i) + ") " + problem;
      }
    }
    return sinks(p);
  }

  private static String instruction(Program p, int i) {
    Kind kind = p.kind(i);
    int n = p.arity(i);
    int expected = kind == Kind.OP ? p.op(i).arity() : kind.arity;
    if (kind == Kind.OP && p.op(i) == Op.LEAF) {
      return "is not a computation";
    }
    if (expected >= 0 ? n != expected : n < 1) {
      return "has " + n + " operands, expected " + (expected >= 0 ? expected : "at least 1");
    }
    for (int j = 0; j < n; j++) {
      int o = p.operand(i, j);
      if (o < 0 || o >= i) {
        return "reads %" + o + ", which is not defined before it";
      }
      if (p.kind(o) == Kind.UPDATE) {
        return "reads %" + o + ", an UPDATE, which has no value";
      }
    }
    if (kind.isStructured()) {
      return weights(p, i);
    }
    if (kind.isLeaf() && kind != Kind.CONST) {
      int limit = kind == Kind.INPUT || kind == Kind.INPUT_GRAD ? p.inputCount : p.paramCount;
      if (p.k[i] != p.index(i) || p.index(i) < 0 || p.index(i) >= limit) {
        return "reads element " + p.k[i] + ", expected an index in [0, " + limit + ")";
      }
    }
    return null;
  }

  /** Checks the weights of a DOT or UPDATE: {@code n} params from {@code k}, {@code |k2|} apart. */
  private static String weights(Program p, int i) {
    int n = p.arity(i) - 1;
    double base = p.k[i];
    double stride = Math.abs(p.k2(i));
    double last = base + (n - 1) * stride;
    if (n < 1 || base != (int) base || stride != (int) stride || stride < 1) {
      return "has weights from " + base + " by " + p.k2(i) + ", expected integers, |stride| >= 1";
    }
    if (base < 0 || last >= p.paramCount) {
      return "reads params " + base + " to " + last + ", expected [0, " + p.paramCount + ")";
    }
    return null;
  }

  private static String sinks(Program p) {
    boolean[][] written = {
      new boolean[p.outputCount], new boolean[p.paramCount], new boolean[p.inputCount]
    };
    String[] names = {"output", "paramGrad", "inputGrad"};
    for (int i = 0; i < p.size; i++) {
      if (p.kind(i) == Kind.UPDATE) {
        for (int j = 1; j < p.arity(i); j++) {
          int index = p.weight(i, j);
          if (written[1][index]) {
            return "paramGrad[" + index + "] is written twice, by %" + i;
          }
          written[1][index] = true;
        }
      }
    }
    for (int s = 0; s < p.sinkCount(); s++) {
      int kind = p.sinkKind[s];
      if (kind < 0 || kind >= written.length) {
        return "sink " + s + " has kind " + kind;
      }
      int v = p.sinkValue[s];
      int index = p.sinkIndex[s];
      if (v < 0 || v >= p.size) {
        return names[kind] + "[" + index + "] reads %" + v + ", not an instruction";
      }
      if (p.kind(v) == Kind.UPDATE) {
        return names[kind] + "[" + index + "] reads %" + v + ", an UPDATE, which has no value";
      }
      if (index < 0 || index >= written[kind].length) {
        return names[kind] + "[" + index + "] is out of range [0, " + written[kind].length + ")";
      }
      if (written[kind][index]) {
        return names[kind] + "[" + index + "] is written twice";
      }
      written[kind][index] = true;
    }
    for (int j = 0; j < p.outputCount; j++) {
      if (!written[0][j]) {
        return "output[" + j + "] is never written";
      }
    }
    return null;
  }
}
