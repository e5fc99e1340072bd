package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import java.util.Arrays;

/**
 * A straight-line SSA program in flat arrays. Instruction {@code i} has a {@link Kind}; an {@link
 * Kind#OP} instruction applies an engine {@link Op} to its operands, the values of the instructions
 * {@code operands[operandStart[i] .. operandStart[i + 1])} (compressed sparse rows, so an n-ary sum
 * keeps all its terms), with constants {@code k} and {@code k2} (a POW's exponent). A leaf has no
 * operands: a CONST's value is its {@code k}, an array read's element index is its {@code k} (an
 * integer). Operands always precede their users; {@link Verifier} checks every rule.
 *
 * <p>Sinks say where results go when the program ends: output values into the workspace's first
 * slots, gradients into the caller's arrays.
 */
final class Program {
  static final int OUTPUT = 0;
  static final int PARAM_GRAD = 1;
  static final int INPUT_GRAD = 2;

  /** Codes below this are {@link Kind}s other than OP; an OP's code is this plus its ordinal. */
  private static final int OP_BASE = Kind.VALUES.length;

  private static final Op[] OPS = Op.values();

  final int size;
  private final byte[] code;
  final int[] operandStart;
  final int[] operands;
  final double[] k;

  /** The second constant of each instruction, or null while every one is 0. */
  private final double[] k2;

  final int[] sinkValue;
  final int[] sinkKind;
  final int[] sinkIndex;
  final int inputCount;
  final int paramCount;
  final int outputCount;

  /**
   * Whether the program may hold a DOT or UPDATE ({@link Kind#isStructured}): false spares stages
   * that handle them a look at every instruction.
   */
  final boolean structured;

  private Program(Builder b) {
    this.size = b.size;
    this.code = fit(b.code, size);
    this.operandStart =
        b.operandStart.length == size + 1
            ? b.operandStart
            : Arrays.copyOf(b.operandStart, size + 1);
    this.operands =
        b.operands.length == b.operandCount
            ? b.operands
            : Arrays.copyOf(b.operands, b.operandCount);
    this.k = b.k.length == size ? b.k : Arrays.copyOf(b.k, size);
    this.k2 = b.k2 == null ? null : b.k2.length == size ? b.k2 : Arrays.copyOf(b.k2, size);
    this.sinkValue = Arrays.copyOf(b.sinkValue, b.sinks);
    this.sinkKind = Arrays.copyOf(b.sinkKind, b.sinks);
    this.sinkIndex = Arrays.copyOf(b.sinkIndex, b.sinks);
    this.inputCount = b.inputCount;
    this.paramCount = b.paramCount;
    this.structured = b.structured;
    this.outputCount = b.outputCount;
  }

  private static byte[] fit(byte[] a, int n) {
    return a.length == n ? a : Arrays.copyOf(a, n);
  }

  /** Returns the raw code of instruction {@code i}: equal codes mean the same kind and op. */
  int code(int i) {
    return code[i];
  }

  Kind kind(int i) {
    return kindOf(code[i]);
  }

  /** Returns the engine op of an OP instruction, or null for other kinds. */
  Op op(int i) {
    return opOf(code[i]);
  }

  int arity(int i) {
    return operandStart[i + 1] - operandStart[i];
  }

  /** Returns the id of operand {@code j} of instruction {@code i}. */
  int operand(int i, int j) {
    return operands[operandStart[i] + j];
  }

  double k2(int i) {
    return k2 == null ? 0 : k2[i];
  }

  /**
   * Returns the param index of weight {@code j} (from 1, as the operand it multiplies) of DOT or
   * UPDATE {@code i}: its first weight's plus {@code j - 1} times the spacing, {@code |k2|}.
   */
  int weight(int i, int j) {
    return index(i) + (j - 1) * (int) Math.abs(k2(i));
  }

  /** Returns the array index that a leaf other than CONST reads. */
  int index(int i) {
    return (int) k[i];
  }

  int sinkCount() {
    return sinkValue.length;
  }

  /** Returns instruction {@code i}'s name: its kind, or its op for OP instructions. */
  String name(int i) {
    Op op = op(i);
    return op != null ? op.name() : kind(i).name();
  }

  private static Kind kindOf(int code) {
    return code < OP_BASE ? Kind.VALUES[code] : Kind.OP;
  }

  private static Op opOf(int code) {
    return code < OP_BASE ? null : OPS[code - OP_BASE];
  }

  /** Returns whether {@code longer} begins with the instructions of this program, unchanged. */
  boolean isPrefixOf(Program longer) {
    int n = size;
    int m = operandStart[n];
    return longer.size >= n
        && Arrays.equals(code, 0, n, longer.code, 0, n)
        && Arrays.equals(operandStart, 0, n + 1, longer.operandStart, 0, n + 1)
        && Arrays.equals(operands, 0, m, longer.operands, 0, m)
        && Arrays.equals(k, 0, n, longer.k, 0, n)
        && (k2 == null && longer.k2 == null || sameK2(longer, n));
  }

  private boolean sameK2(Program longer, int n) {
    for (int i = 0; i < n; i++) {
      if (Double.doubleToRawLongBits(k2(i)) != Double.doubleToRawLongBits(longer.k2(i))) {
        return false;
      }
    }
    return true;
  }

  /** Returns how many times each instruction is read, by instructions and by sinks. */
  int[] useCounts() {
    int[] uses = new int[size];
    for (int o : operands) {
      uses[o]++;
    }
    for (int v : sinkValue) {
      uses[v]++;
    }
    return uses;
  }

  /** Returns a builder for a program with the same inputs, params and outputs as this one. */
  Builder newBuilder() {
    return newBuilder(size, operands.length);
  }

  /** Like {@link #newBuilder()}, with room for {@code size} instructions and their operands. */
  Builder newBuilder(int size, int operandCount) {
    return new Builder(inputCount, paramCount, outputCount, size, operandCount);
  }

  /**
   * Rebuilds this program instruction by instruction: {@code rule} gets each instruction and the
   * new ids of the instructions before it, and returns the id of its replacement in the new
   * program.
   */
  Program rewrite(Rule rule) {
    return rewrite(rule, null);
  }

  /** Like {@link #rewrite(Rule)}, but drops the instructions {@code keep} marks false. */
  Program rewrite(Rule rule, boolean[] keep) {
    return rewrite(newBuilder(), rule, keep);
  }

  /** Like {@link #rewrite(Rule, boolean[])}, appending to {@code out}, an empty builder. */
  Program rewrite(Builder out, Rule rule, boolean[] keep) {
    return rewrite(out, rule, keep, new int[size], 0);
  }

  /**
   * Like {@link #rewrite(Builder, Rule, boolean[])} from instruction {@code from} on: {@code out}
   * holds the replacements of the instructions before it, whose new ids are in {@code renamed},
   * which gets the others' too.
   */
  Program rewrite(Builder out, Rule rule, boolean[] keep, int[] renamed, int from) {
    for (int i = from; i < size; i++) {
      renamed[i] = keep != null && !keep[i] ? -1 : rule.apply(out, this, i, renamed);
    }
    for (int s = 0; s < sinkCount(); s++) {
      out.sink(renamed[sinkValue[s]], sinkKind[s], sinkIndex[s]);
    }
    return out.build();
  }

  /** Emits the replacement of one instruction into the new program; see {@link #rewrite}. */
  interface Rule {
    int apply(Builder out, Program in, int i, int[] renamed);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < size; i++) {
      s.append('%').append(i).append(" = ").append(name(i));
      Kind kind = kind(i);
      if (kind == Kind.CONST) {
        s.append(' ').append(k[i]);
      } else if (kind.isLeaf()) {
        s.append('[').append(index(i)).append(']');
      }
      for (int j = 0; j < arity(i); j++) {
        s.append(" %").append(operand(i, j));
      }
      if (kind.isStructured()) {
        s.append(" · params[")
            .append(index(i))
            .append(" + ")
            .append((int) Math.abs(k2(i)))
            .append("·j]")
            .append(k2(i) > 0 ? " on the left" : " on the right");
      } else if (op(i) == Op.POW) {
        s.append(" ^ ").append(k[i]);
      } else if (op(i) == Op.CLAMP) {
        s.append(" to [").append(k[i]).append(", ").append(k2(i)).append(']');
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
    private byte[] code;
    private int[] operandStart;
    private int operandCount;
    private int[] operands;
    private boolean structured;
    private double[] k;
    private double[] k2;
    private int sinks;
    private int[] sinkValue = new int[8];
    private int[] sinkKind = new int[8];
    private int[] sinkIndex = new int[8];

    Builder(int inputCount, int paramCount, int outputCount) {
      this(inputCount, paramCount, outputCount, 64, 128);
    }

    /**
     * Returns a builder with room for {@code size} instructions and {@code operandCount} operands;
     * it grows beyond them if need be, and a program built at exactly that size keeps the arrays.
     */
    Builder(int inputCount, int paramCount, int outputCount, int size, int operandCount) {
      this.inputCount = inputCount;
      this.paramCount = paramCount;
      this.outputCount = outputCount;
      int n = Math.max(size, 1);
      code = new byte[n];
      operandStart = new int[n + 1];
      k = new double[n];
      operands = new int[Math.max(operandCount, 1)];
    }

    /**
     * Starts an instruction with no operands yet ({@link #operand} adds them) and returns its id.
     */
    private int start(int c, double k1, double k2value) {
      if (size + 1 == operandStart.length) {
        int n = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(16, size * 2L));
        if (n <= size + 1) {
          throw new GraphTooLargeException("a program", size + 1L, size);
        }
        code = Arrays.copyOf(code, n);
        k = Arrays.copyOf(k, n);
        k2 = k2 == null ? null : Arrays.copyOf(k2, n);
        operandStart = Arrays.copyOf(operandStart, n + 1);
      }
      if (Double.doubleToRawLongBits(k2value) != 0 && k2 == null) { // -0.0 keeps its sign too
        k2 = new double[code.length];
      }
      code[size] = (byte) c;
      structured |= c == Kind.DOT.ordinal() || c == Kind.UPDATE.ordinal();
      k[size] = k1;
      if (k2 != null) {
        k2[size] = k2value;
      }
      operandStart[size + 1] = operandCount;
      return size++;
    }

    /**
     * Starts an instruction of a kind other than OP with the constants as given, unchecked (for
     * saved programs, which {@link Verifier} then checks); add its operands with {@link #operand}.
     */
    int start(Kind kind, double k1, double k2value) {
      if (kind == Kind.OP) {
        throw new IllegalArgumentException("an OP instruction needs its op");
      }
      return start(kind.ordinal(), k1, k2value);
    }

    /** Starts an OP instruction; add its operands with {@link #operand}. */
    int start(Op op, double k1, double k2value) {
      return start(OP_BASE + op.ordinal(), k1, k2value);
    }

    /** Removes the instruction appended last, which nothing reads yet. */
    void dropLast() {
      size--;
      operandCount = operandStart[size];
    }

    /** Appends operand {@code id} to the instruction started last. */
    void operand(int id) {
      if (operandCount == operands.length) {
        long n = Math.min(Integer.MAX_VALUE - 8, Math.max(16, operandCount * 2L));
        if (n == operandCount) {
          throw new GraphTooLargeException("a program's operand list", operandCount + 1L, n);
        }
        operands = Arrays.copyOf(operands, (int) n);
      }
      operands[operandCount++] = id;
      operandStart[size] = operandCount;
    }

    int constant(double value) {
      return start(Kind.CONST.ordinal(), value, 0);
    }

    /** Appends a read of element {@code index} of the array that {@code kind} names. */
    int leaf(Kind kind, int index) {
      return start(kind.ordinal(), index, 0);
    }

    int unary(Op op, int x) {
      return unary(op, x, 0);
    }

    /** Appends {@code op(x)} with constant {@code k1} (a POW's exponent). */
    int unary(Op op, int x, double k1) {
      int id = start(op, k1, 0);
      operand(x);
      return id;
    }

    int binary(Op op, int x, int y) {
      int id = start(op, 0, 0);
      operand(x);
      operand(y);
      return id;
    }

    int step(int x) {
      return helper(Kind.STEP, x);
    }

    /** Appends the derivative helper {@code kind} applied to {@code xs}. */
    int helper(Kind kind, int... xs) {
      int id = start(kind.ordinal(), 0, 0);
      for (int x : xs) {
        operand(x);
      }
      return id;
    }

    /** Appends {@code op(x, y, z)}. */
    int ternary(Op op, int x, int y, int z) {
      int id = start(op, 0, 0);
      operand(x);
      operand(y);
      operand(z);
      return id;
    }

    /**
     * Appends every instruction of {@code in}, unchanged, to this empty builder: what {@link #copy}
     * of each in turn appends, as one array copy.
     */
    void copyAll(Program in) {
      if (size != 0) {
        throw new JitBugException("copyAll needs an empty builder, this one has " + size);
      }
      int n = in.size;
      int m = in.operandStart[n];
      if (n + 1 > operandStart.length) {
        code = new byte[n];
        k = new double[n];
        operandStart = new int[n + 1];
      }
      if (m > operands.length) {
        operands = new int[m];
      }
      System.arraycopy(in.code, 0, code, 0, n);
      structured = in.structured; // the one path that writes codes without start()
      System.arraycopy(in.k, 0, k, 0, n);
      System.arraycopy(in.operandStart, 0, operandStart, 0, n + 1);
      System.arraycopy(in.operands, 0, operands, 0, m);
      if (in.k2 != null) {
        k2 = new double[code.length];
        System.arraycopy(in.k2, 0, k2, 0, n);
      }
      size = n;
      operandCount = m;
    }

    /** Appends a copy of instruction {@code i} of {@code in}, its operands renamed. */
    int copy(Program in, int i, int[] renamed) {
      int id = start(in.code[i], in.k[i], in.k2(i));
      for (int j = in.operandStart[i]; j < in.operandStart[i + 1]; j++) {
        operand(renamed == null ? in.operands[j] : renamed[in.operands[j]]);
      }
      return id;
    }

    int code(int i) {
      return code[i];
    }

    Kind kind(int i) {
      return kindOf(code[i]);
    }

    Op op(int i) {
      return opOf(code[i]);
    }

    double k(int i) {
      return k[i];
    }

    double k2(int i) {
      return k2 == null ? 0 : k2[i];
    }

    int arity(int i) {
      return operandStart[i + 1] - operandStart[i];
    }

    int operand(int i, int j) {
      return operands[operandStart[i] + j];
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
