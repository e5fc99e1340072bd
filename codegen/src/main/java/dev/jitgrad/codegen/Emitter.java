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
 * Emits a program as straight-line bytecode over {@code double[]} arrays and loads it as hidden
 * classes.
 *
 * <p>HotSpot does not JIT-compile a method over 8,000 bytes of bytecode ({@code
 * DontCompileHugeMethods}), so statements are packed into static chunk methods of at most {@link
 * #CHUNK_BYTES} bytes, measured as they are written. Values cross chunks through the workspace
 * array, indexed by constants (C2 folds the range checks of constant indices). A class holds at
 * most {@link #CHUNKS_PER_CLASS} chunks, called in order from its {@code run}, and keeps its
 * constant pool (65,535 entries: every distinct double and every index above 32,767 takes some)
 * under {@link #POOL_BUDGET}; a larger program spans several classes, run one after another.
 */
final class Emitter {
  static final int CHUNK_BYTES = 7000;
  static final int CHUNKS_PER_CLASS = 600;
  static final int POOL_BUDGET = 50_000;

  /** An upper bound on the bytes one instruction of a statement takes. */
  private static final int BYTES_PER_INSTRUCTION = 14;

  private static final String KERNEL = Type.getInternalName(Segment.class);
  private static final String NAME = "dev/jitgrad/codegen/Generated";
  private static final String RUN = "([D[D[D[D[D)V";
  private static final String SCALAR = "dev/jitgrad/engine/internal/Scalar";
  private static final String MATH = "java/lang/Math";
  private static final int IN = 0;
  private static final int P = 1;
  private static final int PG = 2;
  private static final int IG = 3;
  private static final int WS = 4;

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
    return new Emitter(p, layout).run();
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
    MethodHandles.Lookup lookup = MethodHandles.lookup();
    try {
      for (int s = 0; s < segments.length; s++) {
        MethodHandles.Lookup hidden = lookup.defineHiddenClass(code.classes().get(s), true);
        segments[s] =
            (Segment)
                hidden
                    .findConstructor(hidden.lookupClass(), MethodType.methodType(void.class))
                    .invoke();
      }
    } catch (VirtualMachineError e) {
      throw e; // out of memory or metaspace: the JVM's limit, not a code generation bug
    } catch (Throwable e) {
      throw new JitBugException("generated class failed to load", e);
    }
    return new Loaded(segments, code.workspaceSize());
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

  private Code run() {
    startClass();
    for (int i = 0; i < p.size; i++) {
      if (!layout.stored(i) && layout.directSink[i] < 0) {
        continue; // a leaf, part of a later statement's expression, or unused
      }
      reserve(layout.treeSize[i]);
      if (layout.stored(i)) {
        mv.visitVarInsn(ALOAD, WS);
        pushInt(layout.slot[i]);
      } else {
        sinkTarget(layout.directSink[i]);
      }
      compute(i);
      mv.visitInsn(DASTORE);
    }
    for (int s = 0; s < p.sinkCount(); s++) {
      if (layout.directSink[p.sinkValue[s]] != s) {
        reserve(1);
        sinkTarget(s);
        value(p.sinkValue[s]);
        mv.visitInsn(DASTORE);
      }
    }
    endClass();
    return new Code(List.copyOf(classes), totalChunks, layout.workspaceSize);
  }

  /** Pushes the array and index that sink {@code s} stores into. */
  private void sinkTarget(int s) {
    int kind = p.sinkKind[s];
    mv.visitVarInsn(ALOAD, kind == Program.OUTPUT ? WS : kind == Program.PARAM_GRAD ? PG : IG);
    pushInt(p.sinkIndex[s]);
  }

  /** Pushes the value of instruction {@code i}: a leaf read, a slot read, or its inlined tree. */
  private void value(int i) {
    Kind kind = p.kind(i);
    if (kind == Kind.CONST) {
      pushDouble(p.k[i]);
    } else if (kind.isLeaf()) {
      int array =
          kind == Kind.INPUT ? IN : kind == Kind.PARAM ? P : kind == Kind.PARAM_GRAD ? PG : IG;
      mv.visitVarInsn(ALOAD, array);
      pushInt(p.index(i));
      mv.visitInsn(DALOAD);
    } else if (layout.inline[i]) {
      compute(i);
    } else {
      mv.visitVarInsn(ALOAD, WS);
      pushInt(layout.slot[i]);
      mv.visitInsn(DALOAD);
    }
  }

  /** Pushes the operands of computation {@code i} and applies it. */
  private void compute(int i) {
    value(p.operand(i, 0));
    Op op = p.op(i);
    Bytecode code = op == null ? HELPERS[p.kind(i).ordinal()] : BYTECODE[op.ordinal()];
    if (op != null
        && op.arity() < 0) { // n-ary: fold left to right, as Lowering does; one term is c0 + -0.0
      if (p.arity(i) == 1) {
        pushDouble(-0.0);
        code.emit(mv);
      }
      for (int j = 1; j < p.arity(i); j++) {
        value(p.operand(i, j));
        code.emit(mv);
      }
      return;
    }
    for (int j = 1; j < p.arity(i); j++) {
      value(p.operand(i, j));
    }
    if (code.constants() > 0) {
      pushDouble(p.k[i]);
    }
    if (code.constants() > 1) {
      pushDouble(p.k2(i));
    }
    code.emit(mv);
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

  /** Starts a new chunk (and class) unless a statement of {@code treeSize} still fits. */
  private void reserve(int treeSize) {
    int needed = BYTES_PER_INSTRUCTION * (treeSize + 1);
    if (mv != null && offset() + needed <= CHUNK_BYTES && pool + 4 * treeSize + 8 < POOL_BUDGET) {
      return;
    }
    if (mv != null) {
      endChunk();
    }
    if (chunks == CHUNKS_PER_CLASS || pool + 4 * treeSize + 8 >= POOL_BUDGET) {
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
    if (v <= 5) {
      mv.visitInsn(ICONST_0 + v);
    } else if (v <= Byte.MAX_VALUE) {
      mv.visitIntInsn(BIPUSH, v);
    } else if (v <= Short.MAX_VALUE) {
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
