package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Lane code made on the first batch call ({@link LazyLanes}): not at compile time, by racing
 * threads without waiting (the holder it uses, {@link Lazy}, is tested for that in {@link
 * LazyTest}), and never needed for a batch to run.
 */
class LazyLanesTest {
  private static final int ROWS = 40;

  private static StructuredGraphProperties.Mixed mixed(long seed) {
    return new StructuredGraphProperties.Mixed(new SplittableRandom(seed));
  }

  private static CompiledGraph compile(StructuredGraphProperties.Mixed m) {
    return Jit.compile(List.of(m.output), m.inputs, m.params, JitOptions.defaults());
  }

  /**
   * Params and {@link #ROWS} rows for {@code g}, with per-row calls summed blockwise: the oracle.
   */
  private record Batch(double[] p, double[] data, double[] expected) {
    static Batch draw(CompiledGraph g, long seed) {
      SplittableRandom random = new SplittableRandom(seed);
      double[] p = random.doubles(g.paramCount(), -1, 1).toArray();
      double[] data = random.doubles((long) ROWS * g.inputCount(), -2, 2).toArray();
      return new Batch(p, data, Oracle.blockwiseSingleCalls(g, data, ROWS, p));
    }
  }

  @Test
  void compile_graphWithLanes_buildsEachLaneKernelOnItsFirstBatchCall() {
    StructuredGraphProperties.Mixed m = mixed(3);
    CompiledGraph g = compile(m);
    Batch b = Batch.draw(g, 5);
    boolean[] afterCompile = g.lanesPending();
    double[] grad = new double[b.p().length];

    double sum = g.valueAndGradBatch(b.data(), ROWS, b.p(), grad);
    boolean[] afterBatch = g.lanesPending();
    g.forwardBatch(b.data(), ROWS, b.p(), new double[ROWS * g.outputCount()]);
    boolean[] afterForwardBatch = g.lanesPending();

    assertArrayEquals(new boolean[] {true, true}, afterCompile, "forward, gradient");
    assertArrayEquals(new boolean[] {true, false}, afterBatch, "forward, gradient");
    assertArrayEquals(new boolean[] {false, false}, afterForwardBatch, "forward, gradient");
    assertTrue(g.hasBatchLanes() && g.hasForwardLanes());
    Oracle.assertBitIdentical(b.expected(), Oracle.concat(sum, new double[0], grad), "first batch");
  }

  @Test
  void readFrom_savedGraph_buildsLaneCodeOnTheFirstBatchCall() throws IOException {
    StructuredGraphProperties.Mixed m = mixed(7);
    CompiledGraph g = SavedGraphs.load(SavedGraphs.bytes(compile(m)), JitOptions.defaults());
    boolean[] afterLoad = g.lanesPending();
    Batch b = Batch.draw(g, 11);
    double[] grad = new double[b.p().length];

    double sum = g.valueAndGradBatch(b.data(), ROWS, b.p(), grad);

    assertArrayEquals(new boolean[] {true, true}, afterLoad, "forward, gradient");
    assertFalse(g.lanesPending()[1], "the gradient's lane code is built");
    assertTrue(g.hasBatchLanes());
    Oracle.assertBitIdentical(b.expected(), Oracle.concat(sum, new double[0], grad), "loaded");
  }

  @Test
  void valueAndGradBatch_threadsRacingOnTheFirstCall_eachGetTheSerialResult() throws Exception {
    StructuredGraphProperties.Mixed m = mixed(13);
    Batch b = Batch.draw(compile(m), 17);
    CompiledGraph g = compile(m);
    int threads = 4;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      Future<?>[] calls = new Future<?>[threads];
      double[][] results = new double[threads][];
      for (int t = 0; t < threads; t++) {
        int slot = t;
        calls[t] =
            pool.submit(
                () -> {
                  double[] grad = new double[b.p().length];
                  start.await();
                  double sum = g.valueAndGradBatch(b.data(), ROWS, b.p(), grad);
                  results[slot] = Oracle.concat(sum, new double[0], grad);
                  return null;
                });
      }

      start.countDown();
      for (Future<?> call : calls) {
        call.get(60, TimeUnit.SECONDS);
      }

      for (int t = 0; t < threads; t++) {
        Oracle.assertBitIdentical(b.expected(), results[t], "thread " + t);
      }
      assertTrue(g.hasBatchLanes());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void get_builderThrows_returnsNullFromThenOnWithoutBuildingAgain() {
    AtomicInteger builds = new AtomicInteger();
    LazyLanes lanes =
        new LazyLanes(
            () -> {
              builds.incrementAndGet();
              throw new IllegalStateException("lane emitter failed");
            });

    LaneKernel first = lanes.get();
    LaneKernel second = lanes.get();

    assertNull(first);
    assertNull(second);
    assertEquals(1, builds.get());
    assertFalse(lanes.pending());
  }

  @Test
  void run_laneCodeFailsToBuild_batchRunsRowByRowToTheSameBits() {
    StructuredGraphProperties.Mixed m = mixed(19);
    Program p =
        Compiler.gradientProgram(
            Compiler.run(
                Passes.beforeReverse(JitOptions.defaults()),
                Tracer.trace(List.of(m.output), m.inputs, m.params)),
            false,
            JitOptions.defaults());
    Kernel kernel = Emitter.load(Compiler.emit(p));
    LazyLanes failing =
        new LazyLanes(
            () -> {
              throw new OutOfMemoryError("no room for lane code");
            });
    BatchRunner rowByRow = new BatchRunner(kernel, p.inputCount, p.paramCount, p.size);
    BatchRunner fallingBack = new BatchRunner(kernel, failing, p.inputCount, p.paramCount, p.size);
    SplittableRandom random = new SplittableRandom(23);
    double[] params = random.doubles(p.paramCount, -1, 1).toArray();
    double[] data = random.doubles((long) ROWS * p.inputCount, -2, 2).toArray();
    double[] expectedGrad = new double[p.paramCount];
    double expected = rowByRow.run(data, ROWS, params, expectedGrad);
    double[] grad = new double[p.paramCount];

    double sum = fallingBack.run(data, ROWS, params, grad);

    assertFalse(fallingBack.hasLanes());
    Oracle.assertBitIdentical(
        Oracle.concat(expected, new double[0], expectedGrad),
        Oracle.concat(sum, new double[0], grad),
        "fallback");
  }
}
