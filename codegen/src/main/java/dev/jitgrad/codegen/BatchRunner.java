package dev.jitgrad.codegen;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a gradient kernel over many rows, deterministically, for {@link
 * CompiledGraph#valueAndGradBatch}.
 *
 * <p>Rows are cut into blocks of {@link #BLOCK_ROWS}. Each block sums its rows' values and
 * gradients in row order, from zero; the blocks are then added to the result in block order. Which
 * thread computes a block never matters, so the result is the same to the bit on any machine with
 * any number of threads. Blocks are processed in waves of at most {@link #WAVE_BLOCKS}, combined
 * before the next wave starts, so memory stays bounded however many rows there are. Threads come
 * from the common {@link ForkJoinPool}; the pool tasks, per-block buffers and per-thread workspaces
 * are kept between calls, so a call allocates next to nothing.
 */
final class BatchRunner {
  static final int BLOCK_ROWS = 16;
  static final int WAVE_BLOCKS = 64;

  /**
   * Batches with fewer instruction evaluations than this (rows × gradient program size) run on the
   * calling thread alone: below it, waking a pool thread costs more than it saves. A moons step
   * (100 rows of a 2-16-16-1 MLP, about 250,000) measured 15% slower split over two threads on the
   * reference machine. The system property {@code jitgrad.parallelWork} overrides it.
   */
  private static final long PARALLEL_WORK = Long.getLong("jitgrad.parallelWork", 1_000_000);

  private final Kernel kernel;
  private final int inputCount;
  private final int paramCount;
  private final long workPerRow;
  private final AtomicReference<Wave> spare = new AtomicReference<>();

  BatchRunner(Kernel kernel, int inputCount, int paramCount, long workPerRow) {
    this.kernel = kernel;
    this.inputCount = inputCount;
    this.paramCount = paramCount;
    this.workPerRow = workPerRow;
  }

  /** Returns whether a batch of {@code rows} is worth splitting over threads. */
  boolean isParallel(int rows) {
    return (long) rows * workPerRow >= PARALLEL_WORK;
  }

  /** Returns the sum of output 0 over the rows and adds their summed gradient into paramGrad. */
  double run(double[] inputRows, int rows, double[] params, double[] paramGrad) {
    Wave wave = spare.getAndSet(null);
    if (wave == null) {
      wave = new Wave();
    }
    int blocks = blockCount(rows);
    boolean parallel = isParallel(rows);
    double sum = 0;
    for (int first = 0; first < blocks; first += wave.capacity) {
      int end = Math.min(blocks, first + wave.capacity);
      wave.start(inputRows, rows, first, end, params);
      int helpers = parallel ? Math.min(end - first - 1, wave.helpers.length) : 0;
      for (int t = 0; t < helpers; t++) {
        wave.helpers[t].reinitialize();
        ForkJoinPool.commonPool().execute(wave.helpers[t]);
      }
      wave.run();
      for (int t = 0; t < helpers; t++) {
        wave.helpers[t].join();
      }
      for (int b = 0; b < end - first; b++) {
        sum += wave.sums[b];
        int offset = b * paramCount;
        for (int i = 0; i < paramCount; i++) {
          paramGrad[i] += wave.grads[offset + i];
        }
      }
    }
    wave.finish();
    spare.set(wave);
    return sum;
  }

  static int blockCount(int rows) {
    return (rows + BLOCK_ROWS - 1) / BLOCK_ROWS;
  }

  static int blockEnd(int block, int rows) {
    return Math.min(rows, (block + 1) * BLOCK_ROWS);
  }

  /** The state of one wave of blocks; participants claim blocks from {@code next}. */
  private final class Wave implements Runnable {
    final int capacity =
        Math.max(1, Math.min(WAVE_BLOCKS, (Integer.MAX_VALUE - 8) / Math.max(1, paramCount)));
    final double[] sums = new double[capacity];
    final double[] grads = new double[capacity * paramCount];

    /** Pool tasks that run this wave, reinitialised per wave so that nothing is allocated. */
    final ForkJoinTask<?>[] helpers = new ForkJoinTask<?>[ForkJoinPool.getCommonPoolParallelism()];

    /**
     * One workspace per participant (the caller and each helper), kept here rather than in thread
     * locals, which common-pool threads may lose between tasks.
     */
    final Workspace[] workspaces = new Workspace[helpers.length + 1];

    final AtomicInteger participants = new AtomicInteger();
    final AtomicInteger next = new AtomicInteger();
    double[] rowsData;
    double[] params;
    int rows;
    int first;
    int end;

    Wave() {
      for (int t = 0; t < helpers.length; t++) {
        helpers[t] = ForkJoinTask.adapt(this);
      }
    }

    void start(double[] rowsData, int rows, int first, int end, double[] params) {
      this.rowsData = rowsData;
      this.rows = rows;
      this.first = first;
      this.end = end;
      this.params = params;
      participants.set(0);
      next.set(first);
    }

    void finish() {
      rowsData = null;
      params = null;
    }

    @Override
    public void run() {
      int me = participants.getAndIncrement();
      if (workspaces[me] == null) {
        workspaces[me] = new Workspace(kernel.workspaceSize(), inputCount, paramCount);
      }
      Workspace w = workspaces[me];
      for (int b = next.getAndIncrement(); b < end; b = next.getAndIncrement()) {
        Arrays.fill(w.grad, 0.0);
        double sum = 0;
        int last = blockEnd(b, rows);
        for (int r = b * BLOCK_ROWS; r < last; r++) {
          System.arraycopy(rowsData, r * inputCount, w.row, 0, inputCount);
          kernel.run(w.row, params, w.grad, null, w.ws);
          sum += w.ws[0];
        }
        sums[b - first] = sum;
        System.arraycopy(w.grad, 0, grads, (b - first) * paramCount, paramCount);
      }
    }
  }

  /** One thread's scratch arrays: no reference back to a graph or its classes. */
  static final class Workspace {
    double[] ws;
    final double[] row;
    final double[] grad;

    Workspace(int size, int inputs, int params) {
      ws = new double[size];
      row = new double[inputs];
      grad = new double[params];
    }
  }
}
