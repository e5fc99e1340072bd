package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.MLP;
import dev.jitgrad.nn.Sgd;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.util.CheckClassAdapter;

class CompiledGraphTest {
  /** One sample's SVM loss through an MLP: inputs x0, x1 and label y, params the MLP's. */
  private static final class Model {
    final MLP mlp;
    final List<Value> inputs = List.of(Value.of(0, "x0"), Value.of(0, "x1"), Value.of(1, "y"));
    final Value loss;

    Model(int... hidden) {
      int[] sizes = Arrays.copyOf(hidden, hidden.length + 1);
      sizes[hidden.length] = 1;
      mlp = new MLP(new SplittableRandom(7), 2, sizes);
      Value score = mlp.apply(inputs.subList(0, 2)).get(0);
      loss = score.mul(inputs.get(2)).neg().add(1.0).relu();
    }
  }

  @Test
  void valueAndGrad_mlp_matchesInterpreterAtFreshPoints() {
    Model m = new Model(16, 16);
    List<Value> params = m.mlp.parameters();
    CompiledGraph exact =
        Jit.compile(List.of(m.loss), m.inputs, params, JitOptions.defaults().withExact(true));
    CompiledGraph fast = Jit.compile(m.loss, m.inputs, params);
    SplittableRandom random = new SplittableRandom(3);
    for (int t = 0; t < 50; t++) {
      double[] x = {
        random.nextDouble(-2, 2), random.nextDouble(-2, 2), random.nextBoolean() ? 1 : -1
      };
      double[] p = random.doubles(params.size(), -1, 1).toArray();

      double[] expected = Oracle.interpret(m.loss, m.inputs, params, x, p);

      Oracle.assertBitIdentical(expected, Oracle.compiled(exact, x, p), "exact MLP");
      Oracle.assertClose(expected, Oracle.compiled(fast, x, p), "default MLP");
    }
  }

  @Test
  void valueAndGradBatch_trainingMlp_reachesInterpreterParameters() {
    Model m = new Model(16, 16);
    List<Value> params = m.mlp.parameters();
    CompiledGraph g = Jit.compile(m.loss, m.inputs, params);
    SplittableRandom random = new SplittableRandom(11);
    int rows = 100;
    double[] data = new double[rows * 3];
    for (int r = 0; r < rows; r++) {
      data[3 * r] = random.nextDouble(-2, 2);
      data[3 * r + 1] = random.nextDouble(-2, 2);
      data[3 * r + 2] = data[3 * r] * data[3 * r + 1] > 0 ? 1 : -1;
    }
    double[] compiled = Values.data(params);
    Sgd compiledSgd = new Sgd(0.05);
    Sgd interpretedSgd = new Sgd(0.05);

    for (int step = 0; step < 20; step++) {
      double[] grad = new double[compiled.length];
      g.valueAndGradBatch(data, rows, compiled, grad);
      compiledSgd.step(compiled, grad);

      List<Value> losses = new ArrayList<>();
      for (int r = 0; r < rows; r++) {
        Value score = m.mlp.apply(List.of(Value.of(data[3 * r]), Value.of(data[3 * r + 1]))).get(0);
        losses.add(Losses.svmMaxMargin(score, data[3 * r + 2]));
      }
      Value total = Value.sum(losses);
      m.mlp.zeroGrad();
      total.backward();
      interpretedSgd.step(params);
    }

    Oracle.assertClose(Values.data(params), compiled, "parameters after 20 steps");
  }

  @Test
  void valueAndGradBatch_anyRowCount_equalsBlockwiseSumOfSingleCalls() {
    Model m = new Model(8);
    List<Value> params = m.mlp.parameters();
    CompiledGraph g = Jit.compile(m.loss, m.inputs, params);
    SplittableRandom random = new SplittableRandom(5);
    double[] p = random.doubles(params.size(), -1, 1).toArray();
    for (int rows : new int[] {0, 1, 15, 16, 17, 100, 1000, 20_000}) {
      double[] data = random.doubles(rows * 3L, -2, 2).toArray();
      double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
      double[] grad = new double[p.length];

      double sum = g.valueAndGradBatch(data, rows, p, grad);

      assertEquals(rows == 20_000, g.isParallel(rows), "the large batch takes the parallel path");
      Oracle.assertBitIdentical(
          expected, Oracle.concat(sum, new double[0], grad), rows + " rows, sum and gradient");
    }
  }

  @Test
  void valueAndGrad_eightThreadsOnOneGraph_getIdenticalResults() throws Exception {
    Model m = new Model(16, 16);
    CompiledGraph g = Jit.compile(m.loss, m.inputs, m.mlp.parameters());
    double[] p = new SplittableRandom(1).doubles(g.paramCount(), -1, 1).toArray();
    double[] rows = new SplittableRandom(2).doubles(300, -2, 2).toArray();
    double[] expectedGrad = new double[p.length];
    double expected = g.valueAndGradBatch(rows, 100, p, expectedGrad);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<double[]>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        results.add(
            pool.submit(
                () -> {
                  double[] grad = new double[p.length];
                  double sum = 0;
                  for (int rep = 0; rep < 200; rep++) {
                    Arrays.fill(grad, 0);
                    sum = g.valueAndGradBatch(rows, 100, p, grad);
                  }
                  return Oracle.concat(sum, new double[0], grad);
                }));
      }

      for (Future<double[]> result : results) {
        Oracle.assertBitIdentical(
            Oracle.concat(expected, new double[0], expectedGrad), result.get(), "thread");
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void compile_defaultOptions_commonSubexpressionsMerged() {
    Value x = Value.of(1, "x");
    Value y = x.mul(2.0).tanh().add(x.mul(2.0).tanh());

    CompiledGraph fast = Jit.compile(y, List.of(x), List.of());
    CompiledGraph exact =
        Jit.compile(List.of(y), List.of(x), List.of(), JitOptions.defaults().withExact(true));

    assertTrue(fast.toString().contains("traced 8 IR nodes, 5 after passes"), fast.toString());
    assertTrue(exact.toString().contains("traced 8 IR nodes, 8 after passes"), exact.toString());
    assertEquals(2 * Math.tanh(2 * 0.3), fast.forward(new double[] {0.3}, new double[0]), 1e-15);
  }

  @Test
  void ir_productOfInputAndParam_showsForwardAndGradientPrograms() {
    Value x = Value.of(1, "x");
    Value w = Value.of(1, "w");
    CompiledGraph g = Jit.compile(x.mul(w), List.of(x), List.of(w));

    String ir = g.ir();

    assertTrue(ir.startsWith("forward:\n%0 = INPUT[0]\n%1 = PARAM[0]\n%2 = MUL %0 %1\n"), ir);
    assertTrue(ir.contains("gradient:\n"), ir);
    assertTrue(ir.contains("= PARAM_GRAD[0]"), ir);
    assertTrue(ir.contains("paramGrad[0] = %"), ir);
  }

  @Test
  void compile_constantLeaf_isBakedInAndLaterChangesDoNotMatter() {
    Value x = Value.of(1, "x");
    Value c = Value.of(3, "c");
    Value y = x.mul(c);
    CompiledGraph g = Jit.compile(y, List.of(x), List.of());

    c.setData(100);

    assertEquals(6.0, g.forward(new double[] {2}, new double[0]));
  }

  @Test
  void forward_severalOutputs_writesEachAndGradientIsOfOutputZero() {
    Value x = Value.of(1, "x");
    Value w = Value.of(1, "w");
    CompiledGraph g =
        Jit.compile(List.of(x.mul(w), x.add(w), w), List.of(x), List.of(w), JitOptions.defaults());
    double[] out = new double[3];
    double[] grad = new double[1];

    g.forward(new double[] {3}, new double[] {5}, out);
    double y = g.valueAndGrad(new double[] {3}, new double[] {5}, grad);

    assertArrayEquals(new double[] {15, 8, 5}, out);
    assertEquals(15, y);
    assertArrayEquals(new double[] {3}, grad);
  }

  @Test
  void valueAndGrad_unusedParam_getsZeroAndGradientsAccumulate() {
    Value x = Value.of(1, "x");
    Value w = Value.of(1, "w");
    Value unused = Value.of(1, "u");
    CompiledGraph g = Jit.compile(x.mul(w), List.of(x), List.of(w, unused));
    double[] grad = {10, 20};

    g.valueAndGrad(new double[] {3}, new double[] {5, 7}, grad);

    assertArrayEquals(new double[] {13, 20}, grad);
  }

  @Test
  void compile_badLists_throwWithNames() {
    Value x = Value.of(1, "x");
    Value w = Value.of(1, "w");
    Value y = x.mul(w);

    assertMessage(
        IllegalArgumentException.class,
        "params[1] is the same leaf as params[0]",
        () -> Jit.compile(y, List.of(x), List.of(w, w)));
    assertMessage(
        IllegalArgumentException.class,
        "params[0] is the same leaf as inputs[0]",
        () -> Jit.compile(y, List.of(x), List.of(x)));
    assertMessage(
        IllegalArgumentException.class,
        "inputs[0] is computed by MUL",
        () -> Jit.compile(y, List.of(y), List.of(w)));
    assertMessage(
        NullPointerException.class,
        "params[0] is null",
        () -> Jit.compile(y, List.of(x), Arrays.asList((Value) null)));
    assertMessage(
        NullPointerException.class, "loss", () -> Jit.compile(null, List.of(x), List.of()));
    assertMessage(
        IllegalArgumentException.class,
        "outputs is empty",
        () -> Jit.compile(List.of(), List.of(x), List.of(), JitOptions.defaults()));
  }

  @Test
  void calls_badArrays_throwIllegalArgumentWithSizes() {
    Value x = Value.of(1, "x");
    Value w = Value.of(1, "w");
    CompiledGraph g = Jit.compile(x.mul(w), List.of(x), List.of(w));

    assertMessage(
        IllegalArgumentException.class,
        "inputs has length 2, expected 1",
        () -> g.forward(new double[2], new double[1]));
    assertMessage(
        IllegalArgumentException.class,
        "params has length 0, expected 1",
        () -> g.valueAndGrad(new double[1], new double[0], new double[1]));
    assertMessage(
        IllegalArgumentException.class,
        "paramGrad has length 3, expected 1",
        () -> g.valueAndGrad(new double[1], new double[1], new double[3]));
    assertMessage(
        IllegalArgumentException.class,
        "inputGrad has length 0, expected 1",
        () -> g.valueAndGrad(new double[1], new double[1], new double[0], new double[1]));
    assertMessage(
        IllegalArgumentException.class,
        "outputs has length 2, expected 1",
        () -> g.forward(new double[1], new double[1], new double[2]));
    assertMessage(
        IllegalArgumentException.class,
        "got 4",
        () -> g.valueAndGradBatch(new double[3], 4, new double[1], new double[1]));
    assertMessage(
        IllegalArgumentException.class,
        "got -1",
        () -> g.valueAndGradBatch(new double[3], -1, new double[1], new double[1]));
    assertMessage(NullPointerException.class, "inputs", () -> g.forward(null, new double[1]));
    double[] shared = new double[1];
    assertMessage(
        IllegalArgumentException.class,
        "paramGrad and params are the same array",
        () -> g.valueAndGrad(new double[1], shared, shared));
    assertMessage(
        IllegalArgumentException.class,
        "inputGrad and paramGrad are the same array",
        () -> g.valueAndGrad(new double[1], new double[1], shared, shared));
    assertMessage(
        IllegalArgumentException.class,
        "paramGrad and params are the same array",
        () -> g.valueAndGradBatch(new double[1], 1, shared, shared));
  }

  @Test
  void compile_overMaxNodes_throwsGraphTooLargeWithSizes() {
    Value x = Value.of(1, "x");
    Value y = x;
    for (int i = 0; i < 100; i++) {
      y = y.mul(x).tanh();
    }
    Value big = y;

    GraphTooLargeException e =
        assertThrows(
            GraphTooLargeException.class,
            () ->
                Jit.compile(
                    List.of(big), List.of(x), List.of(), JitOptions.defaults().withMaxNodes(50)));

    assertEquals(50, e.limit());
    assertEquals(201, e.size());
    assertTrue(e.getMessage().contains("201") && e.getMessage().contains("50"), e.getMessage());
  }

  @Test
  void generatedClasses_passCheckClassAdapterAndStayUnderHugeMethodLimit() {
    Model m = new Model(64, 64);
    CompiledGraph g = Jit.compile(m.loss, m.inputs, m.mlp.parameters());
    List<byte[]> classes = g.classBytes();
    assertTrue(classes.size() >= 2);
    int chunks = 0;
    for (byte[] c : classes) {
      chunks += assertVerifiesUnderHugeMethodLimit(c);
    }
    assertTrue(chunks > 4, "a 64-64 MLP's gradient needs several chunks, got " + chunks);
    assertTrue(g.bytecode().contains("DMUL"));
  }

  @Test
  void compile_dumpDirectory_writesTheLoadedClassFiles(@TempDir Path dir) throws Exception {
    Model m = new Model(64);

    CompiledGraph g =
        Jit.compile(
            List.of(m.loss),
            m.inputs,
            m.mlp.parameters(),
            JitOptions.defaults().withDumpDirectory(dir));
    g.valueAndGrad(
        new double[3], new double[g.paramCount()], new double[3], new double[g.paramCount()]);

    List<byte[]> expected = g.classBytes();
    List<Path> files;
    try (var list = Files.list(dir)) {
      files = list.sorted().toList();
    }
    assertEquals(expected.size(), files.size());
    assertEquals(3, expected.size(), "forward, gradient and input-gradient classes");
    List<Path> inOrder = new ArrayList<>(files);
    inOrder.sort(java.util.Comparator.comparing(f -> f.getFileName().toString().contains("input")));
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), Files.readAllBytes(inOrder.get(i)), "class file " + i);
    }
  }

  @Test
  void compiledGraph_garbage_itsClassesAreUnloaded() throws Exception {
    WeakReference<Class<?>> generated = compileAndForget();

    for (int i = 0; i < 50 && generated.get() != null; i++) {
      System.gc();
      Thread.sleep(20);
    }

    assertNull(generated.get(), "the generated class is still loaded");
  }

  @Test
  void compile_tenThousandGraphsInSmallMetaspace_classesAreUnloaded() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    // 20,000 generated classes need well over 16 MB of metaspace unless dead ones are unloaded.
    Process process =
        new ProcessBuilder(
                java.toString(),
                "-XX:MaxMetaspaceSize=16m",
                "-cp",
                System.getProperty("java.class.path"),
                ManyGraphs.class.getName(),
                "10000")
            .redirectErrorStream(true)
            .start();

    String output = new String(process.getInputStream().readAllBytes());
    int exit = process.waitFor();

    assertEquals(0, exit, output);
    assertTrue(output.contains("compiled 10000 graphs"), output);
  }

  private static WeakReference<Class<?>> compileAndForget() throws Exception {
    Value x = Value.of(1, "x");
    CompiledGraph g = Jit.compile(x.mul(x), List.of(x), List.of());
    g.valueAndGrad(new double[] {2}, new double[0], new double[0]);
    Emitter.Loaded kernel = (Emitter.Loaded) g.forwardKernel();
    return new WeakReference<>(kernel.segments[0].getClass());
  }

  /**
   * Asserts that {@code classFile} passes ASM's {@code CheckClassAdapter} and that each of its
   * methods is under HotSpot's 8,000-byte limit; returns how many methods it has.
   */
  static int assertVerifiesUnderHugeMethodLimit(byte[] classFile) {
    StringWriter problems = new StringWriter();
    CheckClassAdapter.verify(
        new ClassReader(classFile),
        CompiledGraph.class.getClassLoader(),
        false,
        new PrintWriter(problems));
    assertEquals("", problems.toString());
    List<Integer> sizes = codeSizes(classFile);
    for (int size : sizes) {
      assertTrue(size < 8000, "a method of " + size + " bytes cannot be JIT-compiled");
    }
    return sizes.size();
  }

  /** Returns the bytecode length of every method of a class file. */
  private static List<Integer> codeSizes(byte[] classFile) {
    List<Integer> sizes = new ArrayList<>();
    ClassWriter writer = new ClassWriter(0);
    new ClassReader(classFile)
        .accept(
            new ClassVisitor(Opcodes.ASM9, writer) {
              @Override
              public MethodVisitor visitMethod(
                  int access, String name, String desc, String sig, String[] ex) {
                return new MethodVisitor(
                    Opcodes.ASM9, super.visitMethod(access, name, desc, sig, ex)) {
                  @Override
                  public void visitMaxs(int maxStack, int maxLocals) {
                    Label end = new Label();
                    super.visitLabel(end);
                    sizes.add(end.getOffset());
                    super.visitMaxs(maxStack, maxLocals);
                  }
                };
              }
            },
            0);
    return sizes;
  }

  static void assertMessage(
      Class<? extends Throwable> type,
      String part,
      org.junit.jupiter.api.function.Executable call) {
    Throwable e = assertThrows(type, call);
    assertTrue(
        e.getMessage() != null && e.getMessage().contains(part),
        "message '" + e.getMessage() + "' should contain '" + part + "'");
  }
}
