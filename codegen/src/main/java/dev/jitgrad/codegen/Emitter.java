package dev.jitgrad.codegen;

import static org.objectweb.asm.Opcodes.*;

import dev.jitgrad.engine.Op;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;
import org.objectweb.asm.util.Textifier;
import org.objectweb.asm.util.TraceClassVisitor;

/**
 * Emits a program as bytecode over {@code double[]} arrays and loads it as hidden classes: its
 * statements ({@link Tape}) straight-line, except runs that {@link Rolling} finds, which become
 * counted loops over the same statements.
 *
 * <p>HotSpot does not JIT-compile a method over 8,000 bytes of bytecode ({@code
 * DontCompileHugeMethods}), so statements are packed into static chunk methods of at most {@link
 * #CHUNK_BYTES} bytes, measured as they are written. Values cross chunks through the workspace
 * array, indexed by constants (C2 folds the range checks of constant indices). A class holds at
 * most {@link #CHUNKS_PER_CLASS} chunks, called in order from its {@code run}, and keeps its
 * constant pool (65,535 entries: every distinct double and every index above 32,767 takes some)
 * under {@link #POOL_BUDGET}; a larger program spans several classes, run one after another. A loop
 * stays inside one chunk; its counter is local 5, after the five arrays, and its head carries the
 * stack map frame that class files of version 17 need at a branch target.
 */
final class Emitter {
  static final int CHUNK_BYTES = 7000;
  static final int CHUNKS_PER_CLASS = 600;
  static final int POOL_BUDGET = 50_000;

  private static final String KERNEL = Type.getInternalName(Segment.class);
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

  private static final Object[] LOOP_LOCALS = {"[D", "[D", "[D", "[D", "[D", INTEGER};

  private final Program p;
  private final Layout layout;
  private final List<byte[]> classes = new ArrayList<>();
  private ClassWriter cw;
  private MethodVisitor mv;
  private int chunks;
  private int totalChunks;
  private int pool;
  private final Set<Long> doubles = new HashSet<>();
  private final Set<Integer> ints = new HashSet<>();

  private Emitter(Program p, Layout layout) {
    this.p = p;
    this.layout = layout;
  }

  /** The generated classes of one program, not yet loaded. */
  record Code(List<byte[]> classes, int chunks, int workspaceSize) {
    int bytes() {
      return classes.stream().mapToInt(c -> c.length).sum();
    }
  }

  /** Returns the bytecode of {@code p}, laid out by {@code layout}. */
  static Code emit(Program p, Layout layout) {
    return emit(p, layout, Rolling.MIN_PROGRAM_BYTES);
  }

  /** Returns the bytecode of {@code p}, rolling loops if it is at least {@code minRollBytes}. */
  static Code emit(Program p, Layout layout, int minRollBytes) {
    return new Emitter(p, layout).run(minRollBytes);
  }

  /** Returns {@code classes} as text, with ASM's {@code Textifier}. */
  static String text(List<byte[]> classes) {
    StringWriter text = new StringWriter();
    PrintWriter out = new PrintWriter(text);
    for (byte[] c : classes) {
      new ClassReader(c).accept(new TraceClassVisitor(null, new Textifier(), out), 0);
    }
    out.flush();
    return text.toString();
  }

  /** Defines the classes of {@code code} as hidden classes and returns a kernel that runs them. */
  static Kernel load(Code code) {
    Segment[] segments = new Segment[code.classes().size()];
    for (int s = 0; s < segments.length; s++) {
      segments[s] = (Segment) instantiate(code.classes().get(s));
    }
    return new Loaded(segments, code.workspaceSize());
  }

  /** Defines {@code classBytes} as a hidden class and returns a new instance of it. */
  static Object instantiate(byte[] classBytes) {
    try {
      MethodHandles.Lookup hidden = MethodHandles.lookup().defineHiddenClass(classBytes, true);
      return hidden
          .findConstructor(hidden.lookupClass(), MethodType.methodType(void.class))
          .invoke();
    } catch (VirtualMachineError e) {
      throw e; // out of memory or metaspace: the JVM's limit, not a code generation bug
    } catch (Throwable e) {
      throw new JitBugException("generated class failed to load", e);
    }
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

  private Code run(int minRollBytes) {
    Tape tape = Tape.of(p, layout);
    List<Rolling.Loop> loops = Rolling.find(tape, minRollBytes);
    startClass();
    int next = 0;
    for (int s = 0; s < tape.size(); ) {
      Rolling.Loop loop = next < loops.size() ? loops.get(next) : null;
      if (loop != null && loop.first() == s) {
        loop(tape, loop);
        s = loop.end();
        next++;
      } else {
        reserve(BYTES_PER_INSTRUCTION * (tape.treeSize(s) + 1), 4 * tape.treeSize(s));
        statement(tape, s, -1, -1);
        s++;
      }
    }
    endClass();
    return new Code(List.copyOf(classes), totalChunks, layout.workspaceSize);
  }

  /**
   * Writes {@code loop}: a counted loop in local {@link #I} over its trips whose body is its first
   * group of statements, each index advanced by its stride times the trip.
   */
  private void loop(Tape tape, Rolling.Loop loop) {
    int bytes = 16;
    int pool = 4;
    for (int j = 0; j < loop.period(); j++) {
      bytes += tape.bytesBound(loop.first() + j, true);
      pool += tape.poolBound(loop.first() + j);
    }
    reserve(bytes, pool);
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, I);
    Label top = new Label();
    mv.visitLabel(top);
    mv.visitFrame(F_NEW, LOOP_LOCALS.length, LOOP_LOCALS, 0, null);
    for (int j = 0; j < loop.period(); j++) {
      int s = loop.first() + j;
      statement(tape, s, tape.indexStart(s), tape.indexStart(s + loop.period()));
    }
    mv.visitIincInsn(I, 1);
    mv.visitVarInsn(ILOAD, I);
    pushInt(loop.trips());
    mv.visitJumpInsn(IF_ICMPLT, top);
  }

  /**
   * Writes statement {@code s} of {@code tape}; inside a loop, its indices start at {@code
   * indexStart} and the next trip's at {@code nextStart} (both -1 outside a loop).
   */
  private void statement(Tape tape, int s, int indexStart, int nextStart) {
    int x = tape.indexStart(s);
    for (int t = tape.tokenStart(s); t < tape.tokenEnd(s); t++) {
      long token = tape.token(t);
      switch (Tape.type(token)) {
        case Tape.TARGET, Tape.LOAD -> {
          mv.visitVarInsn(ALOAD, Tape.payload(token));
          int index = tape.index(x);
          if (indexStart < 0) {
            pushInt(index);
          } else {
            pushIndex(index, tape.index(nextStart + x - indexStart) - index);
          }
          x++;
          if (Tape.type(token) == Tape.LOAD) {
            mv.visitInsn(DALOAD);
          }
        }
        case Tape.CONST -> pushDouble(Double.longBitsToDouble(tape.token(++t)));
        case Tape.OP -> {
          Bytecode code = BYTECODE[Tape.payload(token)];
          for (int c = 0; c < code.constants(); c++) {
            pushDouble(Double.longBitsToDouble(tape.token(++t)));
          }
          code.emit(mv);
        }
        case Tape.HELPER -> HELPERS[Tape.payload(token)].emit(mv);
        default -> throw new JitBugException("unknown tape token " + Long.toHexString(token));
      }
    }
    mv.visitInsn(DASTORE);
  }

  /** Pushes {@code base + stride·i}, with {@code i} the loop counter. */
  private void pushIndex(int base, int stride) {
    if (stride == 0) {
      pushInt(base);
      return;
    }
    mv.visitVarInsn(ILOAD, I);
    if (stride == -1) {
      mv.visitInsn(INEG);
    } else if (stride != 1) {
      pushInt(stride);
      mv.visitInsn(IMUL);
    }
    if (base != 0) {
      pushInt(base);
      mv.visitInsn(IADD);
    }
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
    return BYTECODE[op.ordinal()].constants();
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

  /**
   * Starts a new chunk (and class) unless code of up to {@code bytes} bytes, adding up to {@code
   * poolEntries} constants, still fits.
   */
  private void reserve(int bytes, int poolEntries) {
    if (mv != null && offset() + bytes <= CHUNK_BYTES && pool + poolEntries + 8 < POOL_BUDGET) {
      return;
    }
    if (mv != null) {
      endChunk();
    }
    if (chunks == CHUNKS_PER_CLASS || pool + poolEntries + 8 >= POOL_BUDGET) {
      endClass();
      startClass();
    }
    startChunk();
  }

  private int offset() {
    Label here = new Label();
    mv.visitLabel(here);
    return here.getOffset();
  }

  private void startClass() {
    cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
    cw.visit(V17, ACC_FINAL | ACC_SUPER, NAME, null, KERNEL, null);
    MethodVisitor init = cw.visitMethod(0, "<init>", "()V", null, null);
    init.visitCode();
    init.visitVarInsn(ALOAD, 0);
    init.visitMethodInsn(INVOKESPECIAL, KERNEL, "<init>", "()V", false);
    init.visitInsn(RETURN);
    init.visitMaxs(0, 0);
    init.visitEnd();
    chunks = 0;
    pool = 32;
    doubles.clear();
    ints.clear();
  }

  private void startChunk() {
    mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, "chunk" + chunks, RUN, null, null);
    mv.visitCode();
    chunks++;
    totalChunks++;
    pool += 3;
  }

  private void endChunk() {
    mv.visitInsn(RETURN);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
    mv = null;
  }

  private void endClass() {
    if (mv != null) {
      endChunk();
    }
    MethodVisitor run = cw.visitMethod(0, "run", RUN, null, null);
    run.visitCode();
    for (int c = 0; c < chunks; c++) {
      for (int arg = 1; arg <= 5; arg++) {
        run.visitVarInsn(ALOAD, arg);
      }
      run.visitMethodInsn(INVOKESTATIC, NAME, "chunk" + c, RUN, false);
    }
    run.visitInsn(RETURN);
    run.visitMaxs(0, 0);
    run.visitEnd();
    cw.visitEnd();
    classes.add(cw.toByteArray());
  }

  private void pushInt(int v) {
    if (v >= -1 && v <= 5) {
      mv.visitInsn(ICONST_0 + v);
    } else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
      mv.visitIntInsn(BIPUSH, v);
    } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
      mv.visitIntInsn(SIPUSH, v);
    } else {
      if (ints.add(v)) {
        pool++;
      }
      mv.visitLdcInsn(v);
    }
  }

  private void pushDouble(double v) {
    long bits = Double.doubleToRawLongBits(v);
    if (bits == 0L) {
      mv.visitInsn(DCONST_0);
    } else if (v == 1.0) {
      mv.visitInsn(DCONST_1);
    } else {
      if (doubles.add(bits)) {
        pool += 2;
      }
      mv.visitLdcInsn(v);
    }
  }
}
