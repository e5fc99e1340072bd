package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;

/**
 * Adversarial checks of the changes that sped up a first compile: Jit's list checks on arrays, the
 * Tape's size estimate, the class preloader, and the lambda-free helpers.
 */
class FirstCompileAdversarialTest {
  private static final Duration BOUND = Duration.ofSeconds(120);

  // ---- Jit.compile's checks against the old checks, written out by hand ----

  /**
   * The exception the checks before this change threw for these arguments ("NPE: message" or "IAE:
   * message"), or null if they passed: nulls in outputs, empty outputs, nulls in inputs and params,
   * then inputs and params in order, each element's leaf check before its repeat check, a repeat
   * named by the leaf's first position anywhere in inputs then params.
   */
  private static String oldError(
      List<Value> outputs, List<Value> inputs, List<Value> params, JitOptions options) {
    if (options == null) {
      return "NPE: options";
    }
    String nulls = oldNulls(outputs, "outputs");
    if (nulls != null) {
      return nulls;
    }
    if (outputs.isEmpty()) {
      return "IAE: outputs is empty, expected at least one value";
    }
    nulls = oldNulls(inputs, "inputs");
    if (nulls == null) {
      nulls = oldNulls(params, "params");
    }
    if (nulls != null) {
      return nulls;
    }
    Map<Value, Integer> first = new IdentityHashMap<>();
    for (int i = 0; i < inputs.size(); i++) {
      first.putIfAbsent(inputs.get(i), i);
    }
    for (int i = 0; i < params.size(); i++) {
      first.putIfAbsent(params.get(i), inputs.size() + i);
    }
    String leaves = oldLeaves(inputs, "inputs", 0, first, inputs.size());
    return leaves != null
        ? leaves
        : oldLeaves(params, "params", inputs.size(), first, inputs.size());
  }

  private static String oldNulls(List<Value> values, String name) {
    if (values == null) {
      return "NPE: " + name;
    }
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i) == null) {
        return "NPE: " + name + "[" + i + "] is null";
      }
    }
    return null;
  }

  private static String oldLeaves(
      List<Value> values, String name, int offset, Map<Value, Integer> first, int inputCount) {
    for (int i = 0; i < values.size(); i++) {
      Value v = values.get(i);
      if (!v.isLeaf()) {
        return "IAE: "
            + name
            + "["
            + i
            + "] is computed by "
            + v.op()
            + ", expected a leaf (Value.of)";
      }
      int f = first.get(v);
      if (f != offset + i) {
        String where = f < inputCount ? "inputs[" + f + "]" : "params[" + (f - inputCount) + "]";
        return "IAE: " + name + "[" + i + "] is the same leaf as " + where;
      }
    }
    return null;
  }

  /** What Jit.compile threw, in oldError's form, or null if it compiled. */
  private static String newError(
      List<Value> outputs, List<Value> inputs, List<Value> params, JitOptions options) {
    try {
      Jit.compile(outputs, inputs, params, options);
      return null;
    } catch (NullPointerException e) {
      return "NPE: " + e.getMessage();
    } catch (IllegalArgumentException e) {
      return "IAE: " + e.getMessage();
    }
  }

  private static List<Value> draw(SplittableRandom random, List<Value> pool) {
    if (random.nextInt(12) == 0) {
      return null;
    }
    List<Value> list = new ArrayList<>();
    int n = random.nextInt(5);
    for (int i = 0; i < n; i++) {
      list.add(pool.get(random.nextInt(pool.size())));
    }
    return list;
  }

  @Test
  void compile_randomBadArguments_throwsAsTheOldChecksDid() {
    SplittableRandom random = new SplittableRandom(16);
    int compiled = 0;
    Set<String> kinds = new TreeSet<>();
    for (int t = 0; t < 3000; t++) {
      List<Value> leaves = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        leaves.add(Value.of(i + 1.5));
      }
      Value sum = leaves.get(0).add(leaves.get(1));
      Value product = sum.mul(leaves.get(2)).tanh();
      List<Value> pool = new ArrayList<>(leaves);
      pool.add(sum);
      pool.add(product);
      pool.add(null);
      List<Value> outputs = draw(random, pool);
      List<Value> inputs = draw(random, random.nextInt(4) == 0 ? pool : leaves);
      List<Value> params = draw(random, random.nextInt(4) == 0 ? pool : leaves);
      JitOptions options = random.nextInt(30) == 0 ? null : JitOptions.defaults();

      String expected = oldError(outputs, inputs, params, options);
      if (expected == null && compiled++ > 40) {
        continue; // enough valid calls compiled
      }
      String actual = newError(outputs, inputs, params, options);

      assertEquals(expected, actual, "case " + t + ": " + outputs + " " + inputs + " " + params);
      if (actual != null) {
        kinds.add(actual.replaceAll("[0-9]", ""));
      }
    }
    assertTrue(compiled > 40, compiled + " valid calls");
    assertEquals(
        Set.of(
            "NPE: options",
            "NPE: outputs",
            "NPE: outputs[] is null",
            "IAE: outputs is empty, expected at least one value",
            "NPE: inputs",
            "NPE: inputs[] is null",
            "NPE: params",
            "NPE: params[] is null",
            "IAE: inputs[] is computed by ADD, expected a leaf (Value.of)",
            "IAE: inputs[] is computed by TANH, expected a leaf (Value.of)",
            "IAE: params[] is computed by ADD, expected a leaf (Value.of)",
            "IAE: params[] is computed by TANH, expected a leaf (Value.of)",
            "IAE: inputs[] is the same leaf as inputs[]",
            "IAE: params[] is the same leaf as inputs[]",
            "IAE: params[] is the same leaf as params[]"),
        kinds,
        "every kind of error drawn");
  }

  @Test
  void compile_everyErrorTogether_theOldOrderWins() {
    Value a = Value.of(1);
    Value b = Value.of(2);
    Value c = a.add(b);
    List<Value> withNull = Arrays.asList(a, null);

    List<String> actual =
        List.of(
            newError(withNull, withNull, withNull, null),
            newError(withNull, withNull, withNull, JitOptions.defaults()),
            newError(List.of(), withNull, null, JitOptions.defaults()),
            newError(List.of(c), List.of(a, c, a), withNull, JitOptions.defaults()),
            newError(List.of(c), List.of(a, b, a), List.of(c), JitOptions.defaults()),
            newError(List.of(c), List.of(b), List.of(a, c), JitOptions.defaults()),
            newError(List.of(c), List.of(b), List.of(a, b), JitOptions.defaults()),
            newError(List.of(c), List.of(), List.of(a, b, a), JitOptions.defaults()));

    assertEquals(
        List.of(
            oldError(withNull, withNull, withNull, null),
            oldError(withNull, withNull, withNull, JitOptions.defaults()),
            oldError(List.of(), withNull, null, JitOptions.defaults()),
            oldError(List.of(c), List.of(a, c, a), withNull, JitOptions.defaults()),
            oldError(List.of(c), List.of(a, b, a), List.of(c), JitOptions.defaults()),
            oldError(List.of(c), List.of(b), List.of(a, c), JitOptions.defaults()),
            oldError(List.of(c), List.of(b), List.of(a, b), JitOptions.defaults()),
            oldError(List.of(c), List.of(), List.of(a, b, a), JitOptions.defaults())),
        actual);
    assertEquals("NPE: options", actual.get(0));
    assertEquals("IAE: params[1] is the same leaf as inputs[0]", actual.get(6));
  }

  /** A list whose toArray hands out its own array, as a careless implementation might. */
  private static final class OwnArrayList extends AbstractList<Value> {
    final Value[] elements;

    OwnArrayList(List<Value> values) {
      elements = values.toArray(new Value[0]);
    }

    @Override
    public Value get(int index) {
      return elements[index];
    }

    @Override
    public int size() {
      return elements.length;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T[] toArray(T[] a) {
      return (T[]) elements;
    }

    @Override
    public Object[] toArray() {
      return elements;
    }
  }

  @Test
  void compile_listsThatShareTheirArray_laterChangesDoNotReachTheCompiledGraph() {
    RandomGraphs.Sample s = RandomGraphs.smooth(new SplittableRandom(3), 6, 40);
    List<Value> inputs = new ArrayList<>(s.leaves().subList(0, 3));
    List<Value> params = new ArrayList<>(s.leaves().subList(3, 6));
    double[] x = {0.3, -0.7, 1.1};
    double[] p = {0.9, 0.2, -0.4};
    double[] expected = Oracle.interpret(s.output(), inputs, params, x, p);
    OwnArrayList outs = new OwnArrayList(List.of(s.output(), s.leaves().get(0)));
    OwnArrayList ins = new OwnArrayList(inputs);
    OwnArrayList ps = new OwnArrayList(params);

    CompiledGraph g = Jit.compile(outs, ins, ps, JitOptions.defaults());
    Collections.reverse(Arrays.asList(outs.elements));
    Collections.reverse(Arrays.asList(ins.elements));
    Collections.reverse(Arrays.asList(ps.elements));
    double[] actual = Oracle.compiled(g, x, p);
    double[] outputs = new double[2];
    g.forward(x, p, outputs);

    Oracle.assertClose(expected, actual, "own-array lists");
    assertEquals(expected[0], outputs[0], 1e-12 * Math.max(1, Math.abs(expected[0])));
    assertEquals(x[0], outputs[1]);
  }

  @Test
  void compile_oddListImplementations_sameResultsAndMessages() {
    RandomGraphs.Sample s = RandomGraphs.smooth(new SplittableRandom(4), 6, 30);
    List<Value> all = new ArrayList<>(s.leaves());
    all.add(0, Value.of(9)); // a leaf before the window, so subList positions are relative
    double[] x = {0.5, -0.25, 0.75};
    double[] p = {-0.5, 0.125, 1.5};
    double[] expected =
        Oracle.interpret(s.output(), s.leaves().subList(0, 3), s.leaves().subList(3, 6), x, p);
    List<List<List<Value>>> shapes =
        List.of(
            List.of(all.subList(1, 4), all.subList(4, 7)),
            List.of(
                Collections.unmodifiableList(new ArrayList<>(all.subList(1, 4))),
                Collections.unmodifiableList(new LinkedList<>(all.subList(4, 7)))),
            List.of(List.copyOf(all.subList(1, 4)), List.copyOf(all.subList(4, 7))),
            List.of(
                Collections.synchronizedList(new ArrayList<>(all.subList(1, 4))),
                new CopyOnWriteArrayList<>(all.subList(4, 7))));

    for (List<List<Value>> shape : shapes) {
      CompiledGraph g =
          Jit.compile(
              Collections.unmodifiableList(List.of(s.output())),
              shape.get(0),
              shape.get(1),
              JitOptions.defaults());

      Oracle.assertClose(expected, Oracle.compiled(g, x, p), shape.get(0).getClass().getName());
    }
    IllegalArgumentException repeat =
        assertThrows(
            IllegalArgumentException.class,
            () -> Jit.compile(s.output(), all.subList(1, 4), all.subList(3, 5)));
    assertEquals("params[0] is the same leaf as inputs[2]", repeat.getMessage());
  }

  @Test
  void compile_linkedListOf50kParams_sameMessagesAndGradients() {
    int n = 50_000;
    LinkedList<Value> params = new LinkedList<>();
    List<Value> products = new ArrayList<>();
    double[] p = new double[n];
    for (int i = 0; i < n; i++) {
      Value w = Value.of(0);
      params.add(w);
      products.add(w.mul(i % 7 - 3.0));
      p[i] = (i % 11) * 0.125;
    }
    Value loss = Value.sum(products);
    LinkedList<Value> repeated = new LinkedList<>(params);
    repeated.add(params.get(12_345));
    LinkedList<Value> nulled = new LinkedList<>(params);
    nulled.set(n - 2, null);
    LinkedList<Value> computed = new LinkedList<>(params);
    computed.add(loss);
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += p[i] * (i % 7 - 3.0);
    }
    double expectedLoss = sum;

    assertTimeoutPreemptively(
        BOUND,
        () -> {
          IllegalArgumentException repeat =
              assertThrows(
                  IllegalArgumentException.class, () -> Jit.compile(loss, List.of(), repeated));
          NullPointerException nul =
              assertThrows(NullPointerException.class, () -> Jit.compile(loss, nulled, repeated));
          IllegalArgumentException leaf =
              assertThrows(
                  IllegalArgumentException.class, () -> Jit.compile(loss, List.of(), computed));
          CompiledGraph g = Jit.compile(loss, new LinkedList<>(), params);
          double[] pg = new double[n];
          double y = g.valueAndGrad(new double[0], p, pg);

          assertEquals("params[50000] is the same leaf as params[12345]", repeat.getMessage());
          assertEquals("inputs[49998] is null", nul.getMessage());
          assertEquals(
              "params[50000] is computed by " + loss.op() + ", expected a leaf (Value.of)",
              leaf.getMessage());
          assertEquals(expectedLoss, y, 1e-9 * Math.abs(expectedLoss) + 1e-9);
          for (int i = 0; i < n; i++) {
            assertEquals(i % 7 - 3.0, pg[i], "pg[" + i + "]");
          }
        });
  }

  // ---- Tape: an estimate short of the need still grows ----

  @Test
  void compile_wideSumAndDeepChain_tapeGrowsPastItsEstimate() {
    int n = 120_000;
    List<Value> xs = new ArrayList<>();
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      xs.add(Value.of(0));
      x[i] = ((i * 37) % 101 - 50) / 8.0;
    }
    Value wide = Value.sum(xs); // one node: its statement's tokens are far beyond 3·treeSize + 2
    Value chain = xs.get(0);
    for (int i = 1; i < 3000; i++) {
      chain = chain.mul(xs.get(i)).add(xs.get(i - 1)).tanh();
    }
    List<Value> outputs = List.of(wide.add(chain.mul(0.5)), wide, chain);
    double expectedWide = 0;
    for (int i = 0; i < n; i++) {
      expectedWide += x[i];
    }
    double expectedChain = x[0];
    for (int i = 1; i < 3000; i++) {
      expectedChain = Math.tanh(expectedChain * x[i] + x[i - 1]);
    }

    double[] actual =
        assertTimeoutPreemptively(
            BOUND,
            () -> {
              CompiledGraph g =
                  Jit.compile(outputs, xs, List.of(), JitOptions.defaults().withExact(true));
              double[] out = new double[3];
              g.forward(x, new double[0], out);
              return out;
            });

    assertEquals(expectedWide, actual[1]);
    assertEquals(expectedChain, actual[2]);
    assertEquals(expectedWide + expectedChain * 0.5, actual[0]);
  }

  // ---- ClassPreloader: fresh copies of the compiler, compiled from several threads at once ----

  /** A loader that is not parallel capable: loadClass holds the loader's lock. */
  private static final class SerialLoader extends URLClassLoader {
    SerialLoader(URL[] urls) {
      super(urls, ClassLoader.getPlatformClassLoader());
    }
  }

  private static URL[] compilerClassPath() throws Exception {
    return new URL[] {
      Jit.class.getProtectionDomain().getCodeSource().getLocation(),
      Value.class.getProtectionDomain().getCodeSource().getLocation(),
      ClassWriter.class.getProtectionDomain().getCodeSource().getLocation()
    };
  }

  /**
   * Compiles tanh(a·w + b) in {@code loader}'s copy of the compiler and returns value and grads.
   */
  private static double[] compileIn(ClassLoader loader, double a, double w, double b)
      throws Exception {
    Class<?> valueClass = Class.forName("dev.jitgrad.engine.Value", true, loader);
    Method of = valueClass.getMethod("of", double.class);
    Method mul = valueClass.getMethod("mul", valueClass);
    Method add = valueClass.getMethod("add", valueClass);
    Method tanh = valueClass.getMethod("tanh");
    Object va = of.invoke(null, 0.0);
    Object vw = of.invoke(null, 0.0);
    Object vb = of.invoke(null, 0.0);
    Object loss = tanh.invoke(add.invoke(mul.invoke(va, vw), vb));
    Class<?> jit = Class.forName("dev.jitgrad.codegen.Jit", true, loader);
    Object g =
        jit.getMethod("compile", valueClass, List.class, List.class)
            .invoke(null, loss, List.of(va), List.of(vw, vb));
    double[] pg = new double[2];
    double y =
        (double)
            g.getClass()
                .getMethod("valueAndGrad", double[].class, double[].class, double[].class)
                .invoke(g, new double[] {a}, new double[] {w, b}, pg);
    return new double[] {y, pg[0], pg[1]};
  }

  private static void compileConcurrently(ClassLoader loader, int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<double[]>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        double a = 0.25 * (t + 1);
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return compileIn(loader, a, -0.5, 0.125);
                }));
      }
      for (int t = 0; t < threads; t++) {
        double a = 0.25 * (t + 1);
        double y = Math.tanh(a * -0.5 + 0.125);
        double dy = 1 - y * y;

        double[] r = results.get(t).get(60, TimeUnit.SECONDS);

        assertEquals(y, r[0], 1e-15, "value, thread " + t);
        assertEquals(dy * a, r[1], 1e-15, "d/dw, thread " + t);
        assertEquals(dy, r[2], 1e-15, "d/db, thread " + t);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void compile_firstCompilesInFreshLoadersFromFourThreads_noDeadlockSameNumbers() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          for (int round = 0; round < 6; round++) {
            URL[] path = compilerClassPath();
            try (URLClassLoader loader =
                round % 2 == 0
                    ? new URLClassLoader(path, ClassLoader.getPlatformClassLoader())
                    : new SerialLoader(path)) {
              Class<?> jit = Class.forName("dev.jitgrad.codegen.Jit", false, loader);
              assertFalse(jit == Jit.class, "a fresh copy of the compiler");

              compileConcurrently(loader, 4);
            }
          }
        });
    awaitPreloaders(); // none left for ClassPreloaderTest to count
  }

  /** Waits for every preloader thread (this JVM's and the fresh copies') to end. */
  private static void awaitPreloaders() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("jitgrad-class-preloader")) {
              t.join();
            }
          }
        });
  }

  @Test
  void preloader_afterFirstCompiles_everyPreloaderThreadEnds() throws Exception {
    try (URLClassLoader loader =
        new URLClassLoader(compilerClassPath(), ClassLoader.getPlatformClassLoader())) {
      compileConcurrently(loader, 2);
    }

    awaitPreloaders();

    for (Thread t : Thread.getAllStackTraces().keySet()) {
      assertFalse(t.getName().equals("jitgrad-class-preloader") && t.isAlive(), "still running");
    }
  }

  /**
   * A copy of the compiler whose class lookups fail on the preloader's thread only, with the error
   * a JVM at its metaspace limit gives there (seen with -XX:MaxMetaspaceSize=1040k: "Exception in
   * thread "jitgrad-class-preloader" java.lang.OutOfMemoryError: Metaspace" on standard error).
   */
  private static final class FailingOnPreloader extends URLClassLoader {
    static {
      registerAsParallelCapable();
    }

    private final Error error;

    FailingOnPreloader(URL[] urls, Error error) {
      super(urls, ClassLoader.getPlatformClassLoader());
      this.error = error;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (Thread.currentThread().getName().equals("jitgrad-class-preloader")
          && (name.startsWith("dev.jitgrad.") || name.startsWith("org.objectweb.asm."))
          && findLoadedClass(name) == null) {
        throw error;
      }
      return super.loadClass(name, resolve);
    }
  }

  @Test
  void preloader_outOfMemoryOnItsThread_nothingReachesTheUncaughtHandler() throws Exception {
    List<Throwable> uncaught = Collections.synchronizedList(new ArrayList<>());
    ThreadGroup group =
        new ThreadGroup("first-compile-probe") {
          @Override
          public void uncaughtException(Thread t, Throwable e) {
            uncaught.add(e);
          }
        };
    double[][] result = new double[1][];

    try (URLClassLoader loader =
        new FailingOnPreloader(compilerClassPath(), new OutOfMemoryError("Metaspace"))) {
      Thread caller =
          new Thread(
              group,
              () -> {
                try {
                  result[0] = compileIn(loader, 0.5, 2, 0);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      caller.start();
      caller.join(BOUND.toMillis());
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (t.getThreadGroup() == group) {
          t.join(BOUND.toMillis());
        }
      }
    }

    double y = Math.tanh(1.0);
    assertEquals(List.of(), uncaught);
    assertEquals(y, result[0][0], 1e-15);
    assertEquals((1 - y * y) * 0.5, result[0][1], 1e-15);
  }

  // ---- the lambda-free helpers ----

  @Test
  void lazyOf_nullAndValue_madeAlreadyAndReturned() {
    Object value = new Object();

    Lazy<Object> none = Lazy.of(null);
    Lazy<Object> some = Lazy.of(value);

    assertFalse(none.pending());
    assertNull(none.get());
    assertFalse(some.pending());
    assertSame(value, some.get());
    assertSame(value, some.get());
  }

  @Test
  void valueAndGrad_manyThreads_eachItsOwnWorkspace() throws Exception {
    RandomGraphs.Sample s = RandomGraphs.smooth(new SplittableRandom(8), 4, 60);
    List<Value> inputs = s.leaves().subList(0, 2);
    List<Value> params = s.leaves().subList(2, 4);
    CompiledGraph g = Jit.compile(s.output(), inputs, params);
    int threads = 4;
    double[][] xs = new double[threads][];
    double[][] expected = new double[threads][];
    double[] p = {0.3, -0.2};
    for (int t = 0; t < threads; t++) {
      xs[t] = new double[] {0.1 * t - 0.2, 0.4 - 0.05 * t};
      expected[t] = Oracle.interpret(s.output(), inputs, params, xs[t], p);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<double[]>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        double[] x = xs[t];
        results.add(
            pool.submit(
                () -> {
                  double[] last = null;
                  for (int k = 0; k < 2000; k++) {
                    last = Oracle.compiled(g, x, p);
                  }
                  return last;
                }));
      }

      for (int t = 0; t < threads; t++) {
        double[] actual = results.get(t).get(60, TimeUnit.SECONDS);

        Oracle.assertClose(expected[t], actual, "thread " + t);
      }
    } catch (java.util.concurrent.TimeoutException e) {
      fail("valueAndGrad did not finish");
    } finally {
      pool.shutdownNow();
    }
  }
}
