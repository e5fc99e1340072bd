package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class BatchRunnerTest {
  /** 2^31 - 1 rows: 2^27 blocks of 16, the last one short by one row. */
  private static final int MAX_ROWS = Integer.MAX_VALUE;

  @TempDir Path tmp;

  @Test
  void valueAndGradBatch_commonPoolWithoutThreads_callersGetSingleThreadedResult()
      throws Exception {
    String output = runForked(0, "starved", 4, 10);

    assertTrue(output.startsWith("ok"), output);
  }

  @Test
  void valueAndGradBatch_commonPoolAsleep_concurrentCallersGetSingleThreadedResult()
      throws Exception {
    String output = runForked(4, "busy", 16, 2);

    assertTrue(output.startsWith("ok"), output);
  }

  @Test
  void valueAndGradBatch_insideParallelStream_getsSingleThreadedResult() throws Exception {
    String output = runForked(4, "stream", 16, 5);

    assertTrue(output.startsWith("ok"), output);
  }

  @Test
  void run_helperNeverRuns_keepsNoDroppedKernelAlive() throws Exception {
    String output = runForked(0, "forget", 0, 0);

    assertTrue(output.startsWith("ok"), output);
  }

  @Test
  void blockCount_maxIntRows_countsEveryBlock() {
    int blocks = BatchRunner.blockCount(MAX_ROWS);

    assertEquals(1 << 27, blocks);
  }

  @Test
  void blockCount_partialLastBlock_roundsUp() {
    assertEquals(0, BatchRunner.blockCount(0));
    assertEquals(1, BatchRunner.blockCount(1));
    assertEquals(1, BatchRunner.blockCount(16));
    assertEquals(2, BatchRunner.blockCount(17));
  }

  @Test
  void blockEnd_lastBlockOfMaxIntRows_endsAtLastRow() {
    int end = BatchRunner.blockEnd((1 << 27) - 1, MAX_ROWS);

    assertEquals(MAX_ROWS, end);
  }

  @Test
  void blockEnd_fullBlockBelowMaxIntRows_endsSixteenRowsOn() {
    int end = BatchRunner.blockEnd((1 << 27) - 2, MAX_ROWS);

    assertEquals(MAX_ROWS - 15, end);
  }

  @Test
  void run_maxIntRowsWithoutInputs_runsTheKernel() {
    Kernel kernel =
        new Kernel() {
          @Override
          void run(double[] in, double[] p, double[] pg, double[] ig, double[] ws) {
            throw new IllegalStateException("the kernel ran");
          }

          @Override
          int workspaceSize() {
            return 1;
          }
        };
    BatchRunner runner = new BatchRunner(kernel, 0, 1, 1);

    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> runner.run(new double[0], MAX_ROWS, new double[1], new double[1]));

    assertEquals("the kernel ran", e.getMessage());
  }

  @Test
  @Timeout(value = 1, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void run_kernelThrowsOnPoolThread_callerRethrowsInsteadOfWaiting() {
    CountDownLatch helperFailed = new CountDownLatch(1);
    Kernel kernel =
        new Kernel() {
          @Override
          void run(double[] in, double[] p, double[] pg, double[] ig, double[] ws) {
            if (Thread.currentThread() instanceof ForkJoinWorkerThread) {
              helperFailed.countDown();
              throw new IllegalStateException("a helper failed");
            }
            try {
              helperFailed.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
            ws[0] = 1;
          }

          @Override
          int workspaceSize() {
            return 1;
          }
        };
    BatchRunner runner = new BatchRunner(kernel, 0, 1, Integer.MAX_VALUE);

    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> runner.run(new double[0], 1024, new double[1], new double[1]));

    assertEquals("a helper failed", e.getMessage());
  }

  /**
   * Runs {@link BatchUnderLoad} in a JVM whose common pool has the given parallelism and returns
   * its output; fails if it has not exited after two minutes (it gives up itself after 30 s).
   */
  private String runForked(int parallelism, String mode, int callers, int repeats)
      throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path log = tmp.resolve(mode + ".log");
    Process process =
        new ProcessBuilder(
                java.toString(),
                "-Djava.util.concurrent.ForkJoinPool.common.parallelism=" + parallelism,
                "-cp",
                System.getProperty("java.class.path"),
                BatchUnderLoad.class.getName(),
                mode,
                Integer.toString(callers),
                Integer.toString(repeats))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();

    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      fail("the forked JVM (" + mode + ") hung: " + Files.readString(log));
    }

    String output = Files.readString(log);
    assertEquals(0, process.exitValue(), output);
    return output;
  }
}
