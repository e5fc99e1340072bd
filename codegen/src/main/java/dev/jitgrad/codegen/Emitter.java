package dev.jitgrad.codegen;

import static org.objectweb.asm.Opcodes.*;

import dev.jitgrad.engine.Op;
import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

/**
 * Emits a program as bytecode over {@code double[]} arrays and loads it as hidden classes: its
 * statements ({@link Tape}) straight-line, except runs that {@link Rolling} finds, which become
 * counted loops and loop nests over the same statements.
 *
 * <p>HotSpot does not JIT-compile a method over 8,000 bytes of bytecode ({@code
 * DontCompileHugeMethods}), so statements are packed into static chunk methods of at most {@link
 * #CHUNK_BYTES} bytes, measured as they are written. Values cross chunks through the workspace
 * array, indexed by constants (C2 folds the range checks of constant indices). A class holds at
 * most {@link #CHUNKS_PER_CLASS} chunks, called in order from its {@code run}, and keeps its
 * constant pool (65,535 entries: every distinct double and every index above 32,767 takes some)
 * under {@link #POOL_BUDGET}; a larger program spans several classes, run one after another. A loop
 * or nest stays inside one chunk. After the five arrays come the locals of loops: a loop's counter
 * ({@link #I}), a nest's ({@link #J}), the index terms of a trip ({@link #KEYS}) and the reads
 * taken before a loop ({@link #HOISTED}); each loop head carries the stack map frame that class
 * files of version 17 need at a branch target.
 */
final class Emitter {
  static final int CHUNK_BYTES = 7000;
  static final int CHUNKS_PER_CLASS = 600;
  static final int POOL_BUDGET = 50_000;

  private static final String NAME = "dev/jitgrad/codegen/Generated";
  private static final String RUN = "([D[D[D[D[D)V";
  private static final String SCALAR = "dev/jitgrad/engine/internal/Scalar";
  private static final String MATH = "java/lang/Math";

  /** An upper bound on the bytes one computation of a straight-line statement takes. */
  private static final int BYTES_PER_INSTRUCTION = 14;

  static final int IN = 0;
  static final int P = 1;
  static final int PG = 2;
  static final int IG = 3;
  static final int WS = 4;

  /** The local of a loop's counter, after the five arrays. */
  private static final int I = 5;

  /** The local of a nest's outer counter. */
  private static final int J = 6;

  /** The first of the int locals that hold index terms (see {@link #pushIndex}). */
  private static final int KEYS = 7;

  /** The first of the double locals that hold a loop's reads taken before it starts. */
  private static final int HOISTED = KEYS + Rolling.MAX_KEYS;

  private static final Object[] ARRAYS = {"[D", "[D", "[D", "[D", "[D"};

  private final Program p;
  private final Layout layout;
  private final ChunkedClasses chunks =
      new ChunkedClasses(NAME, Segment.class, RUN, ClassWriter.COMPUTE_MAXS);
  private MethodVisitor mv;

  /**
   * While a loop is written: int local {@code KEYS + k} holds {@code keyOuter[k]·j +
   * keyInner[k]·i}.
   */
  private final int[] keyOuter = new int[Rolling.MAX_KEYS];

  private final int[] keyInner = new int[Rolling.MAX_KEYS];
  private int keys;

  /**
   * While a loop is written: double local {@code HOISTED + 2h} holds element {@code hoistBase[h] +
   * hoistOuter[h]·j} of array {@code hoistArray[h]}.
   */
  private final int[] hoistArray = new int[Rolling.MAX_HOISTED];

  private final int[] hoistBase = new int[Rolling.MAX_HOISTED];
  private final int[] hoistOuter = new int[Rolling.MAX_HOISTED];
  private int hoists;

  private Emitter(Program p, Layout layout) {
    this.p = p;
    this.layout = layout;
  }

  /** The generated classes of one program, not yet loaded. */
  record Code(List<byte[]> classes, int chunks, int workspaceSize) {
    int bytes() {
      int bytes = 0;
      for (byte[] c : classes) {
        bytes += c.length;
      }
      return bytes;
    }
  }

  /** Returns the bytecode of {@code p}, laid out by {@code layout}. */
  static Code emit(Program p, Layout layout) {
    return emit(p, layout, Rolling.MIN_PROGRAM_BYTES);
  }

  /** Returns the bytecode of {@code p}, rolling loops if it is at least {@code minRollBytes}. */
  static Code emit(Program p, Layout layout, int minRollBytes) {
    return emit(p, layout, Tape.of(p, layout), minRollBytes);
  }

  /**
   * Returns the bytecode of {@code p} from its statements {@code tape} (made from {@code layout}),
   * which the lane emitter reads too.
   */
  static Code emit(Program p, Layout layout, Tape tape, int minRollBytes) {
    return new Emitter(p, layout).run(tape, minRollBytes);
  }

  /** Defines the classes of {@code code} as hidden classes and returns a kernel that runs them. */
  static Kernel load(Code code) {
    return new Loaded(
        ChunkedClasses.load(code.classes(), new Segment[code.classes().size()]),
        code.workspaceSize());
  }

  /** A kernel made of loaded generated classes, run one after another. */
  static final class Loaded extends Kernel {
    final Segment[] segments;
    private final int workspaceSize;

    Loaded(Segment[] segments, int workspaceSize) {
      this.segments = segments;
      this.workspaceSize = workspaceSize;
    }

    @Override
    void run(double[] in, double[] p, double[] pg, double[] ig, double[] ws) {
      for (Segment s : segments) {
        s.run(in, p, pg, ig, ws);
      }
    }

    @Override
    int workspaceSize() {
      return workspaceSize;
    }
  }

  private Code run(Tape tape, int minRollBytes) {
    List<Rolling.Loop> loops = Rolling.find(tape, minRollBytes);
    List<Rolling.Nest> nests = Rolling.nests(tape, loops);
    int nextLoop = 0;
    int nextNest = 0;
    for (int s = 0; s < tape.size(); ) {
      nextLoop = Rolling.loopFrom(loops, nextLoop, s);
      Rolling.Nest nest = nextNest < nests.size() ? nests.get(nextNest) : null;
      Rolling.Loop loop = nextLoop < loops.size() ? loops.get(nextLoop) : null;
      if (nest != null && nest.first() == s) {
        nest(tape, nest);
        s = nest.end();
        nextNest++;
      } else if (loop != null && loop.first() == s) {
        loop(tape, loop, null, 1);
        s = loop.end();
      } else {
        mv = chunks.reserve(BYTES_PER_INSTRUCTION * (tape.treeSize(s) + 1), 4 * tape.treeSize(s));
        statement(tape, s, null, 0, null);
        s++;
      }
    }
    List<byte[]> classes = chunks.finish();
    return new Code(classes, chunks.totalChunks(), layout.workspaceSize);
  }

  /**
   * Writes {@code nest}: a counted loop in local {@link #J} over its trips whose body is its first
   * trip, its statements and inner loops, each index advanced by its outer stride times the trip.
   *
   * <p>A nest whose trips are independent and hold serial chains ({@link Rolling#jam}) runs {@code
   * jam} trips at a time, interleaved: each statement, and each inner loop's body, is written once
   * per trip of the group, the trips' copies one after another. Every trip still runs its own
   * statements in their order, and no trip reads or writes what another writes, so the results are
   * the same bit for bit; the processor overlaps the chains, as it cannot when they run one after
   * another. The trips that do not fill a group run one at a time in a second loop.
   */
  private void nest(Tape tape, Rolling.Nest nest) {
    int jam = Rolling.jam(tape, nest);
    int jammed = nest.trips() / jam * jam;
    int copies = jam + (jammed < nest.trips() ? 1 : 0);
    int pool = 8 + Rolling.MAX_KEYS + Rolling.MAX_HOISTED;
    int next = 0;
    for (int s = nest.first(); s < nest.first() + nest.tripStatements(); ) {
      Rolling.Loop inner = next < nest.inner().size() ? nest.inner().get(next) : null;
      boolean isLoop = inner != null && inner.first() == s;
      for (int j = 0; j < (isLoop ? inner.period() : 1); j++) {
        pool += copies * tape.poolBound(s + j, 2);
      }
      s = isLoop ? inner.end() : s + 1;
      next += isLoop ? 1 : 0;
    }
    mv =
        chunks.reserve(copies * (Rolling.LOOP_CONTROL_BYTES + Rolling.tripBytes(tape, nest)), pool);
    int from = tape.indexStart(nest.first());
    int n = tape.indexStart(nest.first() + nest.tripStatements()) - from;
    Indices indices = new Indices(from, n);
    for (int x = 0; x < n; x++) {
      indices.base[x] = tape.index(from + x);
      indices.outer[x] = tape.index(from + x + n) - indices.base[x];
    }
    nestLoop(tape, nest, indices, jam, 0, jammed);
    if (jammed < nest.trips()) {
      nestLoop(tape, nest, indices, 1, jammed, nest.trips());
    }
  }

  /** Writes trips {@code [start, end)} of {@code nest}, {@code jam} at a time. */
  private void nestLoop(
      Tape tape, Rolling.Nest nest, Indices indices, int jam, int start, int end) {
    chunks.pushInt(start);
    mv.visitVarInsn(ISTORE, J);
    Label top = new Label();
    mv.visitLabel(top);
    mv.visitFrame(F_NEW, 7, new Object[] {"[D", "[D", "[D", "[D", "[D", TOP, INTEGER}, 0, null);
    int next = 0;
    for (int s = nest.first(); s < nest.first() + nest.tripStatements(); ) {
      Rolling.Loop inner = next < nest.inner().size() ? nest.inner().get(next) : null;
      boolean isLoop = inner != null && inner.first() == s;
      int group = isLoop ? s + inner.period() : s + 1;
      for (int x = tape.indexStart(s); x < tape.indexStart(group); x++) {
        int outer = indices.outer[x - indices.from];
        if (outer != 0 && (!isLoop || Rolling.stride(tape, inner, x) == 0)) {
          addKey(outer, 0);
        }
      }
      s = isLoop ? inner.end() : group;
      next += isLoop ? 1 : 0;
    }
    keys = Math.min(keys, Rolling.MAX_KEYS);
    setKeys(0);
    next = 0;
    for (int s = nest.first(); s < nest.first() + nest.tripStatements(); ) {
      Rolling.Loop inner = next < nest.inner().size() ? nest.inner().get(next) : null;
      if (inner != null && inner.first() == s) {
        loop(tape, inner, indices, jam);
        s = inner.end();
        next++;
      } else {
        for (int u = 0; u < jam; u++) {
          statement(tape, s, indices, u, indices.outer);
        }
        s++;
      }
    }
    keys = 0;
    chunks.loopBack(J, jam, end, top);
  }

  /**
   * Writes {@code loop}: a counted loop in local {@link #I} over its trips whose body is its first
   * group of statements, each index advanced by its stride times the trip; alone ({@code outer}
   * null) or inside a nest whose indices {@code outer} gives, {@code jam} of its trips at a time.
   *
   * <p>Three rewrites keep the statements and their operations and make the loop one that C2
   * vectorises and keeps in registers. A loop whose trips are independent and whose first target
   * descends ({@link Rolling#reversed}) runs its trips in ascending order: every trip then reads
   * the values it would read in the original order and writes elements no other trip touches, so
   * the results are the same bit for bit. A read of one element that no trip writes ({@link
   * Rolling#invariantRead}), such as a neuron's adjoint in the updates of its weights' gradients,
   * is read once into a local before the loop: it holds the same value at every trip, and C2 cannot
   * hoist it itself, since it cannot tell the arrays apart. And the index terms {@code
   * stride·counter} are computed once per trip into int locals.
   */
  private void loop(Tape tape, Rolling.Loop loop, Indices outer, int jam) {
    int from = tape.indexStart(loop.first());
    int n = tape.indexStart(loop.first() + loop.period()) - from;
    boolean reverse = Rolling.reversed(tape, loop);
    Indices indices = new Indices(from, n);
    for (int x = 0; x < n; x++) {
      int stride = Rolling.stride(tape, loop, from + x);
      int base = tape.index(from + x);
      indices.base[x] = reverse ? base + stride * (loop.trips() - 1) : base;
      indices.inner[x] = reverse ? -stride : stride;
      indices.outer[x] = outer == null ? 0 : outer.outer[from + x - outer.from];
      indices.hoist[x] = Rolling.invariantRead(tape, loop, from + x);
    }
    if (outer != null) {
      counted(tape, loop, indices, true, indices.outer, jam, 0, loop.trips(), 1);
      return;
    }
    int unroll = Rolling.jam(tape, loop);
    int unrolled = loop.trips() / unroll * unroll;
    int copies = unroll + (unrolled < loop.trips() ? 1 : 0);
    int pool = 4 + Rolling.MAX_KEYS + Rolling.MAX_HOISTED;
    for (int j = 0; j < loop.period(); j++) {
      pool += copies * tape.poolBound(loop.first() + j, 1);
    }
    mv = chunks.reserve(copies * Rolling.loopBytes(tape, loop, 1, Rolling.keyed(tape, loop)), pool);
    counted(tape, loop, indices, false, indices.inner, unroll, 0, unrolled, unroll);
    if (unrolled < loop.trips()) {
      counted(tape, loop, indices, false, indices.inner, 1, unrolled, loop.trips(), 1);
    }
  }

  /**
   * Writes trips {@code [start, end)} of {@code loop} (inside a nest if {@code nested}), its
   * counter advancing by {@code step}, its body written for {@code jam} trips of the loop or of the
   * nest around it, copy {@code u} with every index shifted by {@code u·shift}.
   */
  private void counted(
      Tape tape,
      Rolling.Loop loop,
      Indices indices,
      boolean nested,
      int[] shift,
      int jam,
      int start,
      int end,
      int step) {
    int from = indices.from;
    int n = indices.base.length;
    int outerKeys = keys;
    for (int x = 0; x < n; x++) {
      if (indices.inner[x] != 0) {
        addKey(indices.outer[x], indices.inner[x]);
      }
    }
    keys = Math.min(keys, Rolling.MAX_KEYS);
    hoists = 0;
    for (int u = 0; u < jam; u++) {
      for (int x = 0; x < n; x++) {
        int base = indices.base[x] + u * shift[x];
        if (indices.hoist[x]
            && hoist(tape.array(from + x), base, indices.outer[x]) < 0
            && hoists < Rolling.MAX_HOISTED) {
          mv.visitVarInsn(ALOAD, tape.array(from + x));
          pushIndex(base, indices.outer[x], 0);
          mv.visitInsn(DALOAD);
          mv.visitVarInsn(DSTORE, HOISTED + 2 * hoists);
          hoistArray[hoists] = tape.array(from + x);
          hoistBase[hoists] = base;
          hoistOuter[hoists++] = indices.outer[x];
        }
      }
    }
    chunks.pushInt(start);
    mv.visitVarInsn(ISTORE, I);
    Label top = new Label();
    mv.visitLabel(top);
    List<Object> frame = new ArrayList<>(List.of(ARRAYS));
    frame.add(INTEGER);
    frame.add(nested ? INTEGER : TOP);
    for (int k = 0; k < Rolling.MAX_KEYS; k++) {
      frame.add(k < outerKeys ? INTEGER : TOP);
    }
    for (int h = 0; h < hoists; h++) {
      frame.add(DOUBLE);
    }
    mv.visitFrame(F_NEW, frame.size(), frame.toArray(), 0, null);
    setKeys(outerKeys);
    for (int u = 0; u < jam; u++) {
      for (int j = 0; j < loop.period(); j++) {
        statement(tape, loop.first() + j, indices, u, shift);
      }
    }
    keys = outerKeys;
    hoists = 0;
    chunks.loopBack(I, step, end, top);
  }

  /**
   * How a loop or nest addresses the indices of its first trip, which start at {@code from}: index
   * {@code from + x} is {@code base[x] + outer[x]·j + inner[x]·i} at trip {@code j} of a nest and
   * trip {@code i} of a loop; {@code hoist[x]} if it reads an element no trip of the loop writes.
   */
  private static final class Indices {
    final int from;
    final int[] base;
    final int[] outer;
    final int[] inner;
    final boolean[] hoist;

    Indices(int from, int n) {
      this.from = from;
      base = new int[n];
      outer = new int[n];
      inner = new int[n];
      hoist = new boolean[n];
    }
  }

  /** Adds the index term {@code outer·j + inner·i} to the keys to set, unless it is one. */
  private void addKey(int outer, int inner) {
    for (int k = 0; k < Math.min(keys, Rolling.MAX_KEYS); k++) {
      if (keyOuter[k] == outer && keyInner[k] == inner) {
        return;
      }
    }
    if (keys < Rolling.MAX_KEYS) {
      keyOuter[keys] = outer;
      keyInner[keys] = inner;
    }
    keys++;
  }

  /** Sets the index locals of keys {@code [from, keys)}. */
  private void setKeys(int from) {
    for (int k = from; k < keys; k++) {
      boolean pushed = pushScaled(J, keyOuter[k], false);
      pushScaled(I, keyInner[k], pushed);
      mv.visitVarInsn(ISTORE, KEYS + k);
    }
  }

  /** Returns which hoisted local holds element {@code base + outer·j} of {@code array}, or -1. */
  private int hoist(int array, int base, int outer) {
    for (int h = 0; h < hoists; h++) {
      if (hoistArray[h] == array && hoistBase[h] == base && hoistOuter[h] == outer) {
        return h;
      }
    }
    return -1;
  }

  /**
   * Writes statement {@code s} of {@code tape}, inside a loop that {@code loop} addresses (null
   * outside loops), as copy {@code u} of a group of interleaved trips, its indices shifted by
   * {@code u·shift}.
   */
  private void statement(Tape tape, int s, Indices loop, int u, int[] shift) {
    int x = tape.indexStart(s);
    for (int t = tape.tokenStart(s); t < tape.tokenEnd(s); t++) {
      long token = tape.token(t);
      switch (Tape.type(token)) {
        case Tape.TARGET, Tape.LOAD -> {
          int array = Tape.payload(token);
          if (loop == null) {
            mv.visitVarInsn(ALOAD, array);
            chunks.pushInt(tape.index(x));
          } else {
            int k = x - loop.from;
            int base = loop.base[k] + u * shift[k];
            int h = loop.hoist[k] ? hoist(array, base, loop.outer[k]) : -1;
            if (h >= 0) {
              mv.visitVarInsn(DLOAD, HOISTED + 2 * h);
              x++;
              continue;
            }
            mv.visitVarInsn(ALOAD, array);
            pushIndex(base, loop.outer[k], loop.inner[k]);
          }
          if (Tape.type(token) == Tape.LOAD) {
            mv.visitInsn(DALOAD);
          }
          x++;
        }
        case Tape.CONST -> chunks.pushDouble(Double.longBitsToDouble(tape.token(++t)));
        case Tape.OP -> {
          Bytecode code = BYTECODE[Tape.payload(token)];
          for (int c = 0; c < code.constants(); c++) {
            chunks.pushDouble(Double.longBitsToDouble(tape.token(++t)));
          }
          code.emit(mv);
        }
        case Tape.HELPER -> HELPERS[Tape.payload(token)].emit(mv);
        default -> throw new JitBugException("unknown tape token " + Long.toHexString(token));
      }
    }
    mv.visitInsn(DASTORE);
  }

  /**
   * Pushes {@code base + outer·j + inner·i}, with {@code j} and {@code i} the loop counters, from
   * the index local that holds {@code outer·j + inner·i} if one does.
   */
  private void pushIndex(int base, int outer, int inner) {
    boolean pushed = false;
    for (int k = 0; k < keys && !pushed; k++) {
      if (keyOuter[k] == outer && keyInner[k] == inner) {
        mv.visitVarInsn(ILOAD, KEYS + k);
        pushed = true;
      }
    }
    if (!pushed) {
      pushed = pushScaled(I, inner, pushScaled(J, outer, false));
    }
    if (!pushed) {
      chunks.pushInt(base);
    } else if (base != 0) {
      chunks.pushInt(base);
      mv.visitInsn(IADD);
    }
  }

  /** Pushes {@code stride·counter} unless {@code stride} is 0, adding it if {@code add}. */
  private boolean pushScaled(int counter, int stride, boolean add) {
    if (stride == 0) {
      return add;
    }
    mv.visitVarInsn(ILOAD, counter);
    if (stride == -1) {
      mv.visitInsn(INEG);
    } else if (stride != 1) {
      chunks.pushInt(stride);
      mv.visitInsn(IMUL);
    }
    if (add) {
      mv.visitInsn(IADD);
    }
    return true;
  }

  /** Returns the bytes of the instruction that applies op {@code ordinal}: 1, or 3 for a call. */
  static int opBytes(int ordinal) {
    return BYTECODE[ordinal].owner() == null ? 1 : 3;
  }

  /** Writes the bytecode of the op of ordinal {@code op}, its constants already pushed. */
  static void op(MethodVisitor mv, int op) {
    BYTECODE[op].emit(mv);
  }

  /** Writes the call of the derivative helper of {@link Kind} ordinal {@code kind}. */
  static void helper(MethodVisitor mv, int kind) {
    HELPERS[kind].emit(mv);
  }

  /** Returns how many constants ({@code k}, then {@code k2}) {@code op}'s bytecode takes. */
  static int constants(Op op) {
    return constants(op.ordinal());
  }

  /** As {@link #constants(Op)}, for the op of ordinal {@code op} (an OP token's payload). */
  static int constants(int op) {
    return BYTECODE[op].constants();
  }

  /**
   * The bytecode of one op, applied to its operands on the stack: an instruction, or a static call
   * whose arguments are the operands and then the first {@code constants} of {@code k}, {@code k2}.
   */
  private record Bytecode(int opcode, String owner, String name, String descriptor, int constants) {
    static Bytecode insn(int opcode) {
      return new Bytecode(opcode, null, null, null, 0);
    }

    static Bytecode call(String owner, String name, String descriptor) {
      return new Bytecode(INVOKESTATIC, owner, name, descriptor, 0);
    }

    void emit(MethodVisitor mv) {
      if (owner == null) {
        mv.visitInsn(opcode);
      } else {
        mv.visitMethodInsn(INVOKESTATIC, owner, name, descriptor, false);
      }
    }
  }

  /**
   * The bytecode rule of every op: an exhaustive switch, so adding an op to the engine's table does
   * not compile until it has one here. An n-ary op gives the binary instruction it folds with.
   */
  private static Bytecode bytecode(Op op) {
    return switch (op) {
      case ADD, SUM -> Bytecode.insn(DADD);
      case SUB -> Bytecode.insn(DSUB);
      case MUL -> Bytecode.insn(DMUL);
      case DIV -> Bytecode.insn(DDIV);
      case NEG -> Bytecode.insn(DNEG);
      case POW -> new Bytecode(INVOKESTATIC, MATH, "pow", "(DD)D", 1);
      case EXP -> Bytecode.call(MATH, "exp", "(D)D");
      case LOG -> Bytecode.call(MATH, "log", "(D)D");
      case TANH -> Bytecode.call(MATH, "tanh", "(D)D");
      case RELU -> Bytecode.call(SCALAR, "relu", "(D)D");
      case SIGMOID -> Bytecode.call(SCALAR, "sigmoid", "(D)D");
      case SOFTPLUS -> Bytecode.call(SCALAR, "softplus", "(D)D");
      case MAX -> Bytecode.call(MATH, "max", "(DD)D");
      case MIN -> Bytecode.call(MATH, "min", "(DD)D");
      case ABS -> Bytecode.call(MATH, "abs", "(D)D");
      case CLAMP -> new Bytecode(INVOKESTATIC, SCALAR, "clamp", "(DDD)D", 2);
      case WHERE -> Bytecode.call(SCALAR, "where", "(DDD)D");
      case LEAF -> null; // never an IR computation: leaves are INPUT, PARAM or CONST
    };
  }

  private static final Bytecode[] BYTECODE = new Bytecode[Op.values().length];

  /** The derivative helpers' bytecode: a call of their {@code Scalar} function. */
  private static final Bytecode[] HELPERS = new Bytecode[Kind.VALUES.length];

  static {
    for (Op op : Op.values()) {
      BYTECODE[op.ordinal()] = bytecode(op);
    }
    for (Kind kind : Kind.VALUES) {
      if (kind.isHelper()) {
        String descriptor = "(" + "D".repeat(kind.arity) + ")D";
        HELPERS[kind.ordinal()] = Bytecode.call(SCALAR, kind.function, descriptor);
      }
    }
  }
}
