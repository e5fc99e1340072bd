package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The forward program's per-row code, made by the first call that runs it ({@link Compiler#later}):
 * not by compiling, not by the gradient calls, not by batches that run on lanes only, and with the
 * numbers the interpreter computes.
 */
class LazyForwardTest {
  private static StructuredGraphProperties.Mixed mixed(long seed) {
    return new StructuredGraphProperties.Mixed(new SplittableRandom(seed));
  }

  private static CompiledGraph compile(StructuredGraphProperties.Mixed m) {
    return Jit.compile(List.of(m.output), m.inputs, m.params, JitOptions.defaults());
  }

  /** The interpreter's output 0 at {@code x} and {@code p}: the oracle. */
  private static double interpreted(StructuredGraphProperties.Mixed m, double[] x, double[] p) {
    return Oracle.interpret(m.output, m.inputs, m.params, x, p)[0];
  }

  @Test
  void compile_graph_makesForwardCodeOnTheFirstForwardCall() {
    StructuredGraphProperties.Mixed m = mixed(29);
    CompiledGraph g = compile(m);
    SplittableRandom random = new SplittableRandom(31);
    double[] x = random.doubles(g.inputCount(), -2, 2).toArray();
    double[] p = random.doubles(g.paramCount(), -1, 1).toArray();
    boolean afterCompile = g.forwardPending();
    String summaryBefore = g.toString();
    g.valueAndGrad(x, p, new double[g.paramCount()]);
    g.valueAndGradBatch(x, 1, p, new double[g.paramCount()]);
    boolean afterGradients = g.forwardPending();

    double y = g.forward(x, p);

    assertTrue(afterCompile, "made by compiling");
    assertTrue(afterGradients, "made by a gradient call");
    assertFalse(g.forwardPending());
    assertEquals(interpreted(m, x, p), y);
    assertTrue(summaryBefore.contains("(the forward program's on its first call)"), summaryBefore);
    assertFalse(g.toString().contains("first call"), g.toString());
  }

  @Test
  void forwardBatch_blocksOnLanes_makeNoPerRowCodeUntilARowRunsAlone() {
    StructuredGraphProperties.Mixed m = mixed(37);
    CompiledGraph g = compile(m);
    SplittableRandom random = new SplittableRandom(41);
    int rows = 2 * CompiledGraph.BATCH_BLOCK_ROWS + 1; // the last block's one row runs alone
    double[] data = random.doubles((long) rows * g.inputCount(), -2, 2).toArray();
    double[] p = random.doubles(g.paramCount(), -1, 1).toArray();
    double[] out = new double[rows * g.outputCount()];

    g.forwardBatch(data, rows - 1, p, out);
    boolean afterLaneBlocks = g.forwardPending();
    g.forwardBatch(data, rows, p, out);

    assertTrue(g.hasForwardLanes(), "lane code for this graph");
    assertTrue(afterLaneBlocks, "made by blocks on lanes");
    assertFalse(g.forwardPending(), "made for the row left over");
    for (int r = 0; r < rows; r++) {
      double[] x = Arrays.copyOfRange(data, r * g.inputCount(), (r + 1) * g.inputCount());
      assertEquals(interpreted(m, x, p), out[r], "row " + r);
    }
  }

  @Test
  void readFrom_savedGraph_makesForwardCodeOnTheFirstForwardCall() throws IOException {
    StructuredGraphProperties.Mixed m = mixed(43);
    CompiledGraph g = SavedGraphs.load(SavedGraphs.bytes(compile(m)), JitOptions.defaults());
    SplittableRandom random = new SplittableRandom(47);
    double[] x = random.doubles(g.inputCount(), -2, 2).toArray();
    double[] p = random.doubles(g.paramCount(), -1, 1).toArray();
    boolean afterLoad = g.forwardPending();

    double[] outputs = new double[g.outputCount()];
    g.forward(x, p, outputs);

    assertTrue(afterLoad);
    assertFalse(g.forwardPending());
    assertEquals(interpreted(m, x, p), outputs[0]);
  }

  @Test
  void forward_threadsRacingOnTheFirstCall_eachGetTheInterpretersValue() throws Exception {
    StructuredGraphProperties.Mixed m = mixed(53);
    CompiledGraph g = compile(m);
    SplittableRandom random = new SplittableRandom(59);
    double[] x = random.doubles(g.inputCount(), -2, 2).toArray();
    double[] p = random.doubles(g.paramCount(), -1, 1).toArray();
    double expected = interpreted(m, x, p);
    int threads = 4;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Double>> calls =
          IntStream.range(0, threads)
              .mapToObj(
                  t ->
                      pool.submit(
                          () -> {
                            start.await();
                            return g.forward(x, p);
                          }))
              .toList();

      start.countDown();

      for (Future<Double> call : calls) {
        assertEquals(expected, call.get(60, TimeUnit.SECONDS));
      }
      assertFalse(g.forwardPending());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void forward_afterGradientCalls_sharesTheThreadsWorkspace() {
    Value a = Value.of(0, "a");
    Value b = Value.of(0, "b");
    Value y = a.mul(b).tanh().add(a.exp().mul(b.relu()));
    CompiledGraph g = Jit.compile(List.of(y), List.of(a), List.of(b), JitOptions.defaults());
    double[] x = {0.4};
    double[] p = {-0.7};
    double fromGradient = g.valueAndGrad(x, p, new double[1]);

    double value = g.forward(x, p);

    assertEquals(Oracle.interpret(y, List.of(a), List.of(b), x, p)[0], value);
    assertEquals(fromGradient, value, "the gradient program computes the same output");
  }
}
