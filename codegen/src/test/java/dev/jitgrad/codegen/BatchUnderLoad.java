package dev.jitgrad.codegen;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.MLP;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;

/**
 * Calls {@code valueAndGradBatch} on 20,000 rows of a 2-16-16-1 MLP from several threads while the
 * common pool cannot help; run in a forked JVM by {@link BatchRunnerTest}, whose common pool size
 * is set on the command line (it can only be set before the pool is first used).
 *
 * <p>{@code args[0]} is the mode: {@code starved} (run with a pool of parallelism 0), {@code busy}
 * (every pool thread is first put to sleep until the callers are done) or {@code stream} (the
 * callers are the elements of a parallel stream). {@code args[1]} is the number of callers, {@code
 * args[2]} the number of calls each makes. Prints {@code ok} and exits 0 if every caller returned,
 * within the deadline, the result of one thread summing single-row calls block by block, to the
 * bit; exits 1 otherwise. The mode {@code forget} checks instead that helper tasks left queued in a
 * pool of parallelism 0 keep no graph alive ({@link #forget}).
 */
final class BatchUnderLoad {
  static final int ROWS = 20_000;
  private static final long DEADLINE_SECONDS = 30;

  private BatchUnderLoad() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    if (mode.equals("forget")) {
      forget();
    }
    int callers = Integer.parseInt(args[1]);
    int repeats = Integer.parseInt(args[2]);
    CompiledGraph g = mlpLoss();
    double[] p = new SplittableRandom(1).doubles(g.paramCount(), -1, 1).toArray();
    double[] data = new SplittableRandom(2).doubles(ROWS * 3L, -2, 2).toArray();
    double[] expected = Oracle.blockwiseSingleCalls(g, data, ROWS, p);
    if (!g.isParallel(ROWS)) {
      fail("the batch does not take the parallel path");
    }
    Callable<Boolean> call =
        () -> {
          boolean same = true;
          for (int rep = 0; rep < repeats; rep++) {
            double[] grad = new double[p.length];
            double sum = g.valueAndGradBatch(data, ROWS, p, grad);
            same &= Arrays.equals(expected, Oracle.concat(sum, new double[0], grad));
          }
          return same;
        };

    long start = System.nanoTime();
    List<Boolean> results =
        switch (mode) {
          case "starved" -> onThreads(callers, call);
          case "busy" -> withPoolAsleep(() -> onThreads(callers, call));
          case "stream" -> onThreads(1, () -> inParallelStream(callers, call)).get(0);
          default -> throw new IllegalArgumentException("unknown mode " + mode);
        };
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    if (results.contains(false)) {
      fail("a caller's result differs from the single-threaded sum");
    }
    System.out.println(
        "ok: " + callers + " callers × " + repeats + " calls (" + mode + ") in " + millis + " ms");
    System.exit(0);
  }

  /**
   * Runs a parallel batch, drops its runner and exits 0 if its kernel can then be collected,
   * although the pool (of parallelism 0) never runs the helper tasks the batch left queued.
   */
  private static void forget() throws InterruptedException {
    WeakReference<Kernel> kernel = runAndDrop();
    for (int i = 0; i < 50 && kernel.get() != null; i++) {
      System.gc();
      Thread.sleep(20);
    }
    if (kernel.get() != null) {
      fail("a queued helper task keeps a dropped batch runner's kernel alive");
    }
    System.out.println("ok: the kernel was collected");
    System.exit(0);
  }

  private static WeakReference<Kernel> runAndDrop() {
    Kernel kernel =
        new Kernel() {
          @Override
          void run(double[] in, double[] p, double[] pg, double[] ig, double[] ws) {
            ws[0] = 1;
          }

          @Override
          int workspaceSize() {
            return 1;
          }
        };
    BatchRunner runner = new BatchRunner(kernel, 0, 0, Integer.MAX_VALUE);
    double sum = runner.run(new double[0], 1024, new double[0], new double[0]);
    if (sum != 1024) {
      fail("1024 rows of 1 sum to " + sum);
    }
    return new WeakReference<>(kernel);
  }

  /** The per-sample SVM loss of a 2-16-16-1 MLP: inputs x0, x1 and label y. */
  static CompiledGraph mlpLoss() {
    List<Value> inputs = List.of(Value.of(0, "x0"), Value.of(0, "x1"), Value.of(1, "y"));
    MLP mlp = new MLP(new SplittableRandom(7), 2, 16, 16, 1);
    Value score = mlp.apply(inputs.subList(0, 2)).get(0);
    Value loss = score.mul(inputs.get(2)).neg().add(1.0).relu();
    return Jit.compile(loss, inputs, mlp.parameters());
  }

  /** Runs {@code call} on {@code threads} new platform threads at once and collects the results. */
  private static <T> List<T> onThreads(int threads, Callable<T> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch ready = new CountDownLatch(threads);
      List<Future<T>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  ready.await();
                  return call.call();
                }));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
      List<T> results = new ArrayList<>();
      for (Future<T> future : futures) {
        try {
          results.add(future.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
          fail("a caller did not return within " + DEADLINE_SECONDS + " s");
        }
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Occupies every thread of the common pool with a sleeping task while {@code body} runs. */
  private static <T> T withPoolAsleep(Callable<T> body) throws Exception {
    int threads = ForkJoinPool.getCommonPoolParallelism();
    CountDownLatch asleep = new CountDownLatch(threads);
    CountDownLatch wake = new CountDownLatch(1);
    for (int t = 0; t < threads; t++) {
      ForkJoinPool.commonPool()
          .execute(
              () -> {
                asleep.countDown();
                while (wake.getCount() > 0 && sleep()) {}
              });
    }
    if (!asleep.await(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
      fail("the common pool did not start " + threads + " sleeping tasks");
    }
    try {
      return body.call();
    } finally {
      wake.countDown();
    }
  }

  private static <T> List<T> inParallelStream(int callers, Callable<T> call) {
    return IntStream.range(0, callers)
        .parallel()
        .mapToObj(
            i -> {
              try {
                return call.call();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            })
        .toList();
  }

  /** Sleeps 10 ms; returns false if interrupted. */
  private static boolean sleep() {
    try {
      Thread.sleep(10);
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }

  private static void fail(String message) {
    System.out.println(message);
    System.exit(1);
  }
}
