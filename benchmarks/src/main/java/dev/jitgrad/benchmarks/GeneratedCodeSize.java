package dev.jitgrad.benchmarks;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.JitOptions.Backend;
import dev.jitgrad.nn.Init;
import java.util.Locale;

/**
 * Prints the size of the classes generated for the softmax cross-entropy MLPs of {@link
 * CrossEntropySampleBenchmark}, a number the Codegen v2 targets (issue 12) are stated in:
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.jitgrad.benchmarks.GeneratedCodeSize [shape ...]
 * </pre>
 */
final class GeneratedCodeSize {
  private static final String[] SHAPES = {"2-16-10", "64-32-10", "784-64-10"};

  private GeneratedCodeSize() {}

  /** Prints one line per shape given, or per shape of the benchmarks if none is. */
  public static void main(String[] args) {
    for (String shape : args.length > 0 ? args : SHAPES) {
      System.out.println(report(shape));
    }
  }

  /**
   * Returns the total and count of {@link CompiledGraph#classBytes()} for {@code shape}, with the
   * compiled graph's own summary (nodes, chunks, bytecode size, compile time).
   */
  static String report(String shape) {
    int[] sizes = Workloads.shape(shape);
    Workloads.Graph graph =
        Workloads.sampleGraph(
            Workloads.mlp(sizes, Init.HE), sizes[sizes.length - 1], Workloads::softmaxCrossEntropy);
    CompiledGraph compiled =
        Workloads.compile(graph.loss, graph.inputs, graph.params, Backend.BYTECODE);
    long total = 0;
    int classes = 0;
    for (byte[] c : compiled.classBytes()) {
      total += c.length;
      classes++;
    }
    return String.format(
        Locale.ROOT,
        "%s: %d generated classes, %d bytes of class files; %s",
        shape,
        classes,
        total,
        compiled);
  }
}
