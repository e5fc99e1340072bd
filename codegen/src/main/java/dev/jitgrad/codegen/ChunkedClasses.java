package dev.jitgrad.codegen;

import static org.objectweb.asm.Opcodes.*;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;

/**
 * Writes generated code as static chunk methods of at most {@link Emitter#CHUNK_BYTES} bytes, at
 * most {@link Emitter#CHUNKS_PER_CLASS} to a class whose constant pool stays under {@link
 * Emitter#POOL_BUDGET}, each class with a {@code run} that calls its chunks in order with its own
 * arguments; and loads the classes as hidden classes.
 */
final class ChunkedClasses {
  private final String name;
  private final String base;
  private final String descriptor;
  private final int writerFlags;
  private final int chunkBytes;
  private final List<byte[]> classes = new ArrayList<>();
  private ClassWriter cw;
  private MethodVisitor mv;
  private int chunks;
  private int totalChunks;
  private int pool;
  private final Set<Long> doubles = new HashSet<>();
  private final Set<Integer> ints = new HashSet<>();

  /**
   * Starts the first class {@code name}, a subclass of {@code base} whose chunks and {@code run}
   * take the arguments of {@code descriptor}, written with {@link ClassWriter} flags {@code
   * writerFlags}.
   */
  ChunkedClasses(String name, Class<?> base, String descriptor, int writerFlags) {
    this(name, base, descriptor, writerFlags, Emitter.CHUNK_BYTES);
  }

  /** As above, with chunks of at most {@code chunkBytes} bytes where they can be split. */
  ChunkedClasses(String name, Class<?> base, String descriptor, int writerFlags, int chunkBytes) {
    this.chunkBytes = chunkBytes;
    this.name = name;
    this.base = Type.getInternalName(base);
    this.descriptor = descriptor;
    this.writerFlags = writerFlags;
    startClass();
  }

  /**
   * Returns the chunk to write to, a new one (in a new class if need be) unless code of up to
   * {@code bytes} bytes, adding up to {@code poolEntries} constants, still fits the current one.
   */
  MethodVisitor reserve(int bytes, int poolEntries) {
    if (mv != null
        && offset() + bytes <= chunkBytes
        && pool + poolEntries + 8 < Emitter.POOL_BUDGET) {
      return mv;
    }
    if (mv != null) {
      endChunk();
    }
    if (chunks == Emitter.CHUNKS_PER_CLASS || pool + poolEntries + 8 >= Emitter.POOL_BUDGET) {
      endClass();
      startClass();
    }
    startChunk();
    return mv;
  }

  /** Ends the last class and returns the bytes of all classes. */
  List<byte[]> finish() {
    endClass();
    return List.copyOf(classes);
  }

  /** Returns how many chunk methods all classes hold. */
  int totalChunks() {
    return totalChunks;
  }

  /** Pushes {@code v} onto the current chunk's stack, counting the pool entry it may take. */
  void pushInt(int v) {
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

  /** Pushes {@code v} onto the current chunk's stack, counting the pool entries it may take. */
  void pushDouble(double v) {
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

  /**
   * Ends a counted loop: adds {@code step} to int local {@code counter} and jumps back to {@code
   * top} while it is below {@code end}.
   */
  void loopBack(int counter, int step, int end, Label top) {
    mv.visitIincInsn(counter, step);
    mv.visitVarInsn(ILOAD, counter);
    pushInt(end);
    mv.visitJumpInsn(IF_ICMPLT, top);
  }

  /** Defines {@code classes} as hidden classes and returns an instance of each, in order. */
  static <T> T[] load(List<byte[]> classes, T[] instances) {
    for (int c = 0; c < instances.length; c++) {
      @SuppressWarnings("unchecked")
      T instance = (T) instantiate(classes.get(c));
      instances[c] = instance;
    }
    return instances;
  }

  /** Defines {@code classBytes} as a hidden class and returns a new instance of it. */
  private static Object instantiate(byte[] classBytes) {
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

  private int offset() {
    Label here = new Label();
    mv.visitLabel(here);
    return here.getOffset();
  }

  private void startClass() {
    cw = new ClassWriter(writerFlags);
    cw.visit(V17, ACC_FINAL | ACC_SUPER, name, null, base, null);
    MethodVisitor init = cw.visitMethod(0, "<init>", "()V", null, null);
    init.visitCode();
    init.visitVarInsn(ALOAD, 0);
    init.visitMethodInsn(INVOKESPECIAL, base, "<init>", "()V", false);
    init.visitInsn(RETURN);
    init.visitMaxs(0, 0);
    init.visitEnd();
    chunks = 0;
    pool = 32;
    doubles.clear();
    ints.clear();
  }

  private void startChunk() {
    mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, "chunk" + chunks, descriptor, null, null);
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
    MethodVisitor run = cw.visitMethod(0, "run", descriptor, null, null);
    run.visitCode();
    for (int c = 0; c < chunks; c++) {
      int local = 1;
      for (Type argument : Type.getArgumentTypes(descriptor)) {
        run.visitVarInsn(argument.getOpcode(ILOAD), local);
        local += argument.getSize();
      }
      run.visitMethodInsn(INVOKESTATIC, name, "chunk" + c, descriptor, false);
    }
    run.visitInsn(RETURN);
    run.visitMaxs(0, 0);
    run.visitEnd();
    cw.visitEnd();
    classes.add(cw.toByteArray());
  }
}
