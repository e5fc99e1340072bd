package dev.jitgrad.codegen;

import static org.objectweb.asm.Opcodes.*;

import java.util.Optional;
import org.objectweb.asm.MethodVisitor;

/**
 * The Vector API ({@code jdk.incubator.vector}) calls of {@link LaneChains}' vector form, named
 * only in the bytecode it writes, so codegen needs the module neither to compile nor to run. The
 * form is on ({@link #ON}) when the module is in the boot layer ({@code --add-modules
 * jdk.incubator.vector}), the processor's preferred species holds 256 or 512 bits (the widths
 * {@code DoubleVector} names as fields, both dividing the 16 lanes; wider ones, as on some ARM SVE
 * machines, get the plain code), and {@value #PROPERTY} is not {@code false} (in any case);
 * otherwise lane code is the plain scalar code, to the byte. The form needs C2, which compiles the
 * Vector API to vector instructions: the interpreter and C1 run it as Java objects, about 20 times
 * slower than plain lane code and allocating per call (measured in a throwaway harness under {@code
 * -XX:TieredStopAtLevel=1}), so a JVM without C2 should leave the module out.
 *
 * <p>A chain's {@link LaneEmitter#LANES} accumulators are then {@link #PARTS} vectors of the
 * preferred species, and each term is one {@code mul} and one {@code add} per vector: the same two
 * IEEE operations, in the same order, as the scalar {@code dmul} and {@code dadd} of each lane
 * (never a fused multiply-add), so results stay the same to the bit. Measured (JMH, one thread,
 * benchmarks/RESULTS-v2-step7.md): on AVX-512, 16-lane chains of 64 terms ran 3.4× as fast with two
 * 512-bit vectors as with scalar locals, and faster than with four 256-bit vectors; C2 kept the
 * vectors in registers, around the term loop too (no allocation), where the accumulators are stored
 * with {@code intoArray}, while reading 256-bit lanes one by one ({@code lane(i)}) allocated.
 */
final class LaneVectors {
  /** The system property that switches the vector form off when {@code false}. */
  static final String PROPERTY = "jitgrad.vectorLanes";

  static final String MODULE_NAME = "jdk.incubator.vector";
  private static final String VECTOR = "jdk/incubator/vector/DoubleVector";
  private static final String VECTOR_TYPE = "L" + VECTOR + ";";
  private static final String SPECIES_TYPE = "Ljdk/incubator/vector/VectorSpecies;";
  private static final String VECTOR_ARGUMENT = "(Ljdk/incubator/vector/Vector;)" + VECTOR_TYPE;

  /** Bits of the species the vector form uses, 0 if it is off. */
  static final int BITS =
      bits(System.getProperty(PROPERTY), ModuleLayer.boot().findModule(MODULE_NAME));

  /** Whether lane chains are written with Vector API calls. */
  static final boolean ON = BITS > 0;

  /** Doubles per vector (0 if off). */
  static final int LENGTH = BITS / Double.SIZE;

  /** Vectors per chain: {@link LaneEmitter#LANES} / {@link #LENGTH} (0 if off). */
  static final int PARTS = ON ? LaneEmitter.LANES / LENGTH : 0;

  /**
   * The most bytes a chunk method of vector lane code takes where it can be split, in place of
   * {@link Emitter#CHUNK_BYTES}. C1 does not compile a chunk of about 6,000 bytes of Vector API
   * calls ("out of virtual registers in LIR generator"), so it runs in the interpreter, where each
   * vector operation allocates, until C2 compiles it: a one-thread 784-64-10 batch took 10 s to
   * reach its steady 2.6 ms and a two-thread one did not within 12 s. With chunks of 1,000, 2,000
   * or 3,000 bytes C1 compiled every chunk, one thread reached 2.5–2.6 ms after 5–6 s and two
   * threads 1.4 ms after 8 s (a throwaway harness, one run each, benchmarks/RESULTS-v2-step7.md).
   */
  static final int CHUNK_BYTES = 2000;

  private LaneVectors() {}

  /**
   * Returns the bits of the preferred double species if the vector form can be on with {@value
   * #PROPERTY} set to {@code property} (null if unset) and the Vector API's {@code module} if
   * present, else 0. Reads the species by reflection, and lets codegen's module read the Vector
   * API's, which the generated classes, defined in it, call.
   */
  static int bits(String property, Optional<Module> module) {
    if ("false".equalsIgnoreCase(property) || module.isEmpty()) {
      return 0;
    }
    try {
      ClassLoader loader = module.get().getClassLoader();
      Class<?> vector = Class.forName(VECTOR.replace('/', '.'), true, loader);
      Object species = vector.getField("SPECIES_PREFERRED").get(null);
      Class<?> speciesType = Class.forName("jdk.incubator.vector.VectorSpecies", true, loader);
      int bits = (int) speciesType.getMethod("vectorBitSize").invoke(species);
      if (!supported(bits)) {
        return 0;
      }
      LaneVectors.class.getModule().addReads(module.get());
      return bits;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return 0;
    }
  }

  /**
   * Returns whether the form can use vectors of {@code bits}: 256 or 512, the species {@code
   * DoubleVector} names as fields ({@link #species}).
   */
  static boolean supported(int bits) {
    return bits == 256 || bits == 512;
  }

  /** Pushes this form's species. */
  static void species(MethodVisitor mv) {
    mv.visitFieldInsn(GETSTATIC, VECTOR, "SPECIES_" + BITS, SPECIES_TYPE);
  }

  /** Pushes a vector of double local {@code local} in every lane. */
  static void broadcast(MethodVisitor mv, int local) {
    species(mv);
    mv.visitVarInsn(DLOAD, local);
    mv.visitMethodInsn(
        INVOKESTATIC, VECTOR, "broadcast", "(" + SPECIES_TYPE + "D)" + VECTOR_TYPE, false);
  }

  /**
   * Pushes the vector of {@code array[index + part·LENGTH ...]}, {@code index} in int local {@code
   * key}.
   */
  static void load(MethodVisitor mv, ChunkedClasses chunks, int array, int key, int part) {
    species(mv);
    mv.visitVarInsn(ALOAD, array);
    offset(mv, chunks, key, part);
    fromArray(mv);
  }

  /** Replaces the species, array and index on the stack by the vector at that index. */
  static void fromArray(MethodVisitor mv) {
    mv.visitMethodInsn(
        INVOKESTATIC, VECTOR, "fromArray", "(" + SPECIES_TYPE + "[DI)" + VECTOR_TYPE, false);
  }

  /**
   * Stores the vector on the stack into {@code array[index + part·LENGTH ...]}, {@code index} in
   * int local {@code key}.
   */
  static void store(MethodVisitor mv, ChunkedClasses chunks, int array, int key, int part) {
    mv.visitVarInsn(ALOAD, array);
    offset(mv, chunks, key, part);
    intoArray(mv);
  }

  /** Stores the vector on the stack, under an array and an index, into that array at that index. */
  static void intoArray(MethodVisitor mv) {
    mv.visitMethodInsn(INVOKEVIRTUAL, VECTOR, "intoArray", "([DI)V", false);
  }

  private static void offset(MethodVisitor mv, ChunkedClasses chunks, int key, int part) {
    mv.visitVarInsn(ILOAD, key);
    if (part > 0) {
      chunks.pushInt(part * LENGTH);
      mv.visitInsn(IADD);
    }
  }

  /** Replaces the two vectors on the stack by their lane-wise product. */
  static void mul(MethodVisitor mv) {
    mv.visitMethodInsn(INVOKEVIRTUAL, VECTOR, "mul", VECTOR_ARGUMENT, false);
  }

  /** Replaces the two vectors on the stack by their lane-wise sum. */
  static void add(MethodVisitor mv) {
    mv.visitMethodInsn(INVOKEVIRTUAL, VECTOR, "add", VECTOR_ARGUMENT, false);
  }
}
