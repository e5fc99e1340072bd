package dev.jitgrad.codegen;

import java.util.Arrays;

/**
 * A straight-line SSA program in flat arrays: instruction {@code i} is {@code op[i]} applied to the
 * values of instructions {@code a[i]} and {@code b[i]} (or, for leaves, to array element {@code
 * a[i]}), with constant {@code k[i]} (a CONST's value, a POW's exponent). Operands always precede
 * their users.
 *
 * <p>Sinks say where results go when the program ends: output values into the workspace's first
 * slots, gradients into the caller's arrays.
 */
final class Program {
  static final int OUTPUT = 0;
  static final int PARAM_GRAD = 1;
  static final int INPUT_GRAD = 2;

  final int size;
  final byte[] op;
  final int[] a;
  final int[] b;
  final double[] k;
  final int[] sinkValue;
  final int[] sinkKind;
  final int[] sinkIndex;
  final int inputCount;
  final int paramCount;
  final int outputCount;

  private Program(Builder builder) {
    this.size = builder.size;
    this.op = Arrays.copyOf(builder.op, size);
    this.a = Arrays.copyOf(builder.a, size);
    this.b = Arrays.copyOf(builder.b, size);
    this.k = Arrays.copyOf(builder.k, size);
    this.sinkValue = Arrays.copyOf(builder.sinkValue, builder.sinks);
    this.sinkKind = Arrays.copyOf(builder.sinkKind, builder.sinks);
    this.sinkIndex = Arrays.copyOf(builder.sinkIndex, builder.sinks);
    this.inputCount = builder.inputCount;
    this.paramCount = builder.paramCount;
    this.outputCount = builder.outputCount;
  }

  IrOp op(int i) {
    return IrOp.VALUES[op[i]];
  }

  int sinkCount() {
    return sinkValue.length;
  }

  /** Returns how many times each instruction is read, by instructions and by sinks. */
  int[] useCounts() {
    int[] uses = new int[size];
    for (int i = 0; i < size; i++) {
      int arity = op(i).arity;
      if (arity >= 1) {
        uses[a[i]]++;
      }
      if (arity == 2) {
        uses[b[i]]++;
      }
    }
    for (int v : sinkValue) {
      uses[v]++;
    }
    return uses;
  }

  /** Returns a builder for a program with the same inputs, params and outputs as this one. */
  Builder newBuilder() {
    return new Builder(inputCount, paramCount, outputCount);
  }

  /**
   * Rebuilds this program instruction by instruction: {@code rule} gets each instruction with its
   * operands already renamed and returns the id of its replacement in the new program.
   */
  Program rewrite(Rule rule) {
    return rewrite(rule, null);
  }

  /** Like {@link #rewrite(Rule)}, but drops the instructions {@code keep} marks false. */
  Program rewrite(Rule rule, boolean[] keep) {
    Builder out = newBuilder();
    int[] renamed = new int[size];
    for (int i = 0; i < size; i++) {
      if (keep != null && !keep[i]) {
        renamed[i] = -1;
        continue;
      }
      IrOp o = op(i);
      int x = o.arity >= 1 ? renamed[a[i]] : a[i];
      int y = o.arity == 2 ? renamed[b[i]] : -1;
      renamed[i] = rule.apply(out, o, x, y, k[i]);
    }
    for (int s = 0; s < sinkCount(); s++) {
      out.sink(renamed[sinkValue[s]], sinkKind[s], sinkIndex[s]);
    }
    return out.build();
  }

  /** Emits the replacement of one instruction into the new program; see {@link #rewrite}. */
  interface Rule {
    int apply(Builder out, IrOp op, int a, int b, double k);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < size; i++) {
      IrOp o = op(i);
      s.append('%').append(i).append(" = ").append(o);
      switch (o.arity) {
        case 0:
          s.append(o == IrOp.CONST ? " " + k[i] : "[" + a[i] + "]");
          break;
        case 1:
          s.append(" %").append(a[i]).append(o == IrOp.POW ? " ^ " + k[i] : "");
          break;
        default:
          s.append(" %").append(a[i]).append(" %").append(b[i]);
      }
      s.append('\n');
    }
    String[] kinds = {"output", "paramGrad", "inputGrad"};
    for (int j = 0; j < sinkCount(); j++) {
      s.append(kinds[sinkKind[j]])
          .append('[')
          .append(sinkIndex[j])
          .append("] = %")
          .append(sinkValue[j])
          .append('\n');
    }
    return s.toString();
  }

  /** Appends instructions and sinks; ids are positions in append order. */
  static final class Builder {
    private final int inputCount;
    private final int paramCount;
    private final int outputCount;
    private int size;
    private byte[] op = new byte[64];
    private int[] a = new int[64];
    private int[] b = new int[64];
    private double[] k = new double[64];
    private int sinks;
    private int[] sinkValue = new int[8];
    private int[] sinkKind = new int[8];
    private int[] sinkIndex = new int[8];

    Builder(int inputCount, int paramCount, int outputCount) {
      this.inputCount = inputCount;
      this.paramCount = paramCount;
      this.outputCount = outputCount;
    }

    int add(IrOp o, int x, int y, double c) {
      if (size == op.length) {
        int n = (int) Math.min(Integer.MAX_VALUE - 8, size * 2L);
        if (n == size) {
          throw new GraphTooLargeException("a program", size + 1L, size);
        }
        op = Arrays.copyOf(op, n);
        a = Arrays.copyOf(a, n);
        b = Arrays.copyOf(b, n);
        k = Arrays.copyOf(k, n);
      }
      op[size] = (byte) o.ordinal();
      a[size] = x;
      b[size] = y;
      k[size] = c;
      return size++;
    }

    int constant(double value) {
      return add(IrOp.CONST, -1, -1, value);
    }

    int unary(IrOp o, int x) {
      return add(o, x, -1, 0);
    }

    int binary(IrOp o, int x, int y) {
      return add(o, x, y, 0);
    }

    IrOp op(int i) {
      return IrOp.VALUES[op[i]];
    }

    double k(int i) {
      return k[i];
    }

    int operand(int i) {
      return a[i];
    }

    int operand2(int i) {
      return b[i];
    }

    void sink(int value, int kind, int index) {
      if (sinks == sinkValue.length) {
        int n = sinks * 2;
        sinkValue = Arrays.copyOf(sinkValue, n);
        sinkKind = Arrays.copyOf(sinkKind, n);
        sinkIndex = Arrays.copyOf(sinkIndex, n);
      }
      sinkValue[sinks] = value;
      sinkKind[sinks] = kind;
      sinkIndex[sinks] = index;
      sinks++;
    }

    Program build() {
      return new Program(this);
    }
  }
}
