package dev.jitgrad.codegen;

import java.util.concurrent.atomic.AtomicBoolean;
import org.objectweb.asm.ClassWriter;

/**
 * Loads the compiler's later stages' classes, and ASM's, on a daemon thread of its own while the
 * first compile in a JVM traces its graph. A first compile loads about 85 classes from jars, 0.2 ms
 * each here, most of them after the trace; loaded ahead (not initialised: no class's initialiser
 * runs on this thread), a fresh 784-64-10 compile's own thread spent 11 ms less (benchmarks/
 * RESULTS.md, "tenth session"). Nothing waits for this thread: a class it has not reached yet is
 * loaded where it is first used, as without it, and a class it is loading just then is waited for
 * as for any class another thread loads. It runs once per JVM (per copy of this class), and not at
 * all if the JVM cannot start a thread.
 */
final class ClassPreloader implements Runnable {
  private static final AtomicBoolean started = new AtomicBoolean();

  /** The compiler's classes, in the order a compile, then a first batch, first uses them. */
  static final String[] COMPILER =
      names(
          "dev.jitgrad.codegen.",
          "Passes",
          "Passes$Step",
          "Passes$Pass",
          "Passes$Run",
          "Passes$Keep",
          "Passes$Open",
          "Passes$Merge",
          "Passes$Fold",
          "Passes$Simplify",
          "Layout",
          "Lowering",
          "Lowering$Expand",
          "Lazy",
          "Lazy$Pending",
          "Compiler$Later",
          "LazyLanes",
          "LazyLanes$Build",
          "LazyLanes$Guarded",
          "Reverse",
          "Layout$Slots",
          "Tape",
          "Emitter",
          "Emitter$Loaded",
          "Emitter$Bytecode",
          "Emitter$Indices",
          "Emitter$Code",
          "ChunkedClasses",
          "Segment",
          "Rolling",
          "Rolling$Loop",
          "Rolling$Items",
          "Rolling$Nest",
          "Compiler$Built",
          "Compiler$Summary",
          "Compiler$Compiled",
          "GraphPrograms$Derived",
          "BatchRunner",
          "BatchRunner$Workspace",
          "LaneKernel",
          "LaneEmitter",
          "LaneEmitter$Code",
          "LaneSegment",
          "LaneChains",
          "LaneChains$Statements",
          "LaneChains$ChainRun",
          "LaneChains$Member",
          "LaneUpdates",
          "LaneVectors");

  /** ASM's classes that writing a class loads, most of them not public. */
  static final String[] ASM =
      names(
          "org.objectweb.asm.",
          "Type",
          "ClassVisitor",
          "ClassWriter",
          "RecordComponentVisitor",
          "RecordComponentWriter",
          "ModuleVisitor",
          "ModuleWriter",
          "AnnotationVisitor",
          "AnnotationWriter",
          "MethodVisitor",
          "MethodWriter",
          "FieldVisitor",
          "FieldWriter",
          "ClassTooLargeException",
          "SymbolTable",
          "Symbol",
          "SymbolTable$Entry",
          "ByteVector",
          "MethodTooLargeException",
          "Frame",
          "CurrentFrame",
          "Label",
          "Opcodes",
          "Handler",
          "Attribute",
          "Edge");

  private ClassPreloader() {}

  /** Starts the thread, unless it has been started already. */
  static void start() {
    if (started.get() || !started.compareAndSet(false, true)) {
      return;
    }
    try {
      Thread thread = new Thread(new ClassPreloader(), "jitgrad-class-preloader");
      thread.setDaemon(true);
      thread.start();
    } catch (RuntimeException | Error e) {
      // no thread to spare (out of native threads, say): every class loads where it is used
    }
  }

  /**
   * Loads the classes; whatever it throws ends the thread quietly, so that nothing reaches the
   * uncaught-exception handler (which prints a stack trace): an out-of-memory error here, say,
   * comes again where the class is used, or never.
   */
  @Override
  public void run() {
    try {
      load(COMPILER, ClassPreloader.class.getClassLoader());
      load(ASM, ClassWriter.class.getClassLoader());
    } catch (RuntimeException | Error e) {
      // a head start, never a failure
    }
  }

  /** Loads each class named, skipping any that is not found or fails to link. */
  private static void load(String[] names, ClassLoader loader) {
    for (String name : names) {
      try {
        Class.forName(name, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        // loaded, or failed, again where it is used
      }
    }
  }

  private static String[] names(String prefix, String... simpleNames) {
    String[] names = new String[simpleNames.length];
    for (int i = 0; i < names.length; i++) {
      names[i] = prefix.concat(simpleNames[i]);
    }
    return names;
  }
}
