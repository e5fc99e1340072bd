package dev.jitgrad.codegen;

import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a gradient kernel over many rows, deterministically, for {@link
 * CompiledGraph#valueAndGradBatch}.
 *
 * <p>Rows are cut into blocks of {@link #BLOCK_ROWS}. Each block sums its rows' values and
 * gradients in row order, from zero; the blocks are then added to the result in block order. Which
 * thread computes a block never matters, so the result is the same to the bit on any machine with
 * any number of threads. On one thread each block is added to the result as soon as it is computed;
 * on several, blocks are processed in waves of at most {@link #WAVE_BLOCKS}, combined before the
 * next wave starts, so memory stays bounded however many rows there are. Threads come from the
 * common {@link ForkJoinPool}; the pool tasks, per-block buffers and per-thread workspaces are kept
 * between calls, so a call allocates next to nothing.
 *
 * <p>A call never waits for a pool thread that has not started. The caller joins no task: every
 * participant, the caller and whichever helper task the pool gets round to, claims blocks one at a
 * time by a compare-and-set of one word, {@code claims}, that holds the wave's epoch (its number,
 * counted per {@code Wave} object), its block count and its next unclaimed block, so a claim
 * succeeds only while that wave is current and has blocks left. The caller claims like everyone
 * else until no block is left, then waits only for blocks that helpers have claimed and are
 * computing now, at most one each; the helper that finishes the wave's last block unparks it. A
 * helper the pool never runs costs nothing, the caller having computed its share, so a call takes
 * its own thread's time for all the blocks plus at most one block per helper, whatever the pool is
 * doing (no threads, all asleep, a parallel stream calling in). A helper's exception is handed to
 * the caller, which rethrows it, so no block is ever waited for that will not finish.
 *
 * <p>Helper tasks are reused, without allocation, under two rules. First, a helper reads its epoch
 * (its {@code ticket}) when it starts and claims only in that epoch: started late, after its wave,
 * it finds nothing to claim and returns without touching a buffer, and it can never claim in a
 * later wave, whose buffers the caller reuses only once every claimed block is done. Second, a task
 * is never forked twice. If its ticket still holds an epoch, it is queued and not started: the
 * caller moves the ticket to the new epoch by compare-and-set (failing only if it has just started
 * on the old one), so the queued task helps the current wave when it runs. If it is running, it is
 * finishing an earlier wave and the new one goes without it. Only an idle task is executed again,
 * and it needs no {@code reinitialize()}, which would race with the pool marking a finished task
 * done: {@code exec()} returns false, so the pool never marks it done at all (no one joins these
 * tasks).
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

  /** Tickets of a helper that is neither queued nor running, and of one that is running. */
  private static final long IDLE = 0;

  private static final long RUNNING = -1;

  private final Kernel kernel;

  /** The lane kernel of the same program, which computes a block at once, made on first use. */
  private final LazyLanes lanes;

  private final int inputCount;
  private final int paramCount;
  private final long workPerRow;
  private final AtomicReference<Wave> spare = new AtomicReference<>();

  BatchRunner(Kernel kernel, int inputCount, int paramCount, long workPerRow) {
    this(kernel, LazyLanes.NONE, inputCount, paramCount, workPerRow);
  }

  /** A runner that computes each block with the kernel of {@code lanes} if any, else row by row. */
  BatchRunner(Kernel kernel, LazyLanes lanes, int inputCount, int paramCount, long workPerRow) {
    this.kernel = kernel;
    this.lanes = lanes;
    this.inputCount = inputCount;
    this.paramCount = paramCount;
    this.workPerRow = workPerRow;
  }

  /** Returns whether blocks run on a lane kernel, building it if no call has yet. */
  boolean hasLanes() {
    return lanes.get() != null;
  }

  /** Returns whether the lane kernel is still to be built. */
  boolean lanesPending() {
    return lanes.pending();
  }

  /** Returns whether a batch of {@code rows} is worth splitting over threads. */
  boolean isParallel(long rows) {
    return rows * workPerRow >= PARALLEL_WORK;
  }

  /** Returns the sum of output 0 over the rows and adds their summed gradient into paramGrad. */
  double run(double[] inputRows, int rows, double[] params, double[] paramGrad) {
    Wave wave = spare.getAndSet(null);
    if (wave == null) {
      wave = new Wave();
    }
    LaneKernel laneKernel = rows > 0 ? lanes.get() : null;
    double sum = wave.run(inputRows, rows, params, paramGrad, laneKernel, isParallel(rows));
    spare.set(wave);
    return sum;
  }

  /** Returns the number of blocks that hold {@code rows} rows. */
  static int blockCount(int rows) {
    return (int) ((rows + (long) BLOCK_ROWS - 1) / BLOCK_ROWS);
  }

  /** Returns the row after the last row of block {@code block} of a batch of {@code rows}. */
  static int blockEnd(int block, int rows) {
    return (int) Math.min(rows, (block + 1L) * BLOCK_ROWS);
  }

  /**
   * The state of the waves of one call at a time, with its helper tasks; participants claim blocks
   * from {@code claims}: the epoch in bits 16 and up, the wave's block count in bits 8–15, the next
   * unclaimed block in bits 0–7.
   */
  private final class Wave {
    final int capacity =
        Math.max(1, Math.min(WAVE_BLOCKS, (Integer.MAX_VALUE - 8) / Math.max(1, paramCount)));
    final double[] sums = new double[capacity];
    final double[] grads = new double[capacity * paramCount];
    final Helper[] helpers = new Helper[ForkJoinPool.getCommonPoolParallelism()];

    /** The caller's workspace, then one per helper, made by the helper when it first runs. */
    final Workspace[] workspaces = new Workspace[helpers.length + 1];

    final AtomicLong claims = new AtomicLong();
    final AtomicInteger done = new AtomicInteger();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    long epoch;

    /** The current wave, written by the caller before it publishes the wave in {@code claims}. */
    double[] rowsData;

    double[] params;
    LaneKernel laneKernel;
    int rows;
    int first;
    int count;
    Thread caller;

    Wave() {
      workspaces[0] = workspace();
      for (int t = 0; t < helpers.length; t++) {
        helpers[t] = new Helper(this, t + 1);
      }
    }

    double run(
        double[] rowsData,
        int rows,
        double[] params,
        double[] paramGrad,
        LaneKernel laneKernel,
        boolean parallel) {
      this.rowsData = rowsData;
      this.rows = rows;
      this.params = params;
      this.laneKernel = laneKernel;
      this.caller = Thread.currentThread();
      int blocks = blockCount(rows);
      double sum;
      try {
        sum = parallel ? waves(blocks, paramGrad) : inOrder(blocks, paramGrad);
      } catch (Throwable e) {
        claims.set(++epoch << 16);
        throw e;
      }
      this.rowsData = null;
      this.params = null;
      this.laneKernel = null;
      this.caller = null;
      return sum;
    }

    /**
     * Computes the {@code blocks} blocks on the caller's thread, each added into {@code paramGrad}
     * as soon as it is computed, and returns the sum of their outputs.
     */
    private double inOrder(int blocks, double[] paramGrad) {
      double sum = 0;
      Workspace w = workspaces[0];
      for (int block = 0; block < blocks; block++) {
        sum += compute(block, w);
        add(w.grad, 0, paramGrad);
      }
      return sum;
    }

    /**
     * Computes the {@code blocks} blocks in waves shared with the pool's helpers, each wave's
     * blocks added into {@code paramGrad} in block order once all are done, and returns the sum of
     * their outputs.
     */
    private double waves(int blocks, double[] paramGrad) {
      double sum = 0;
      for (int first = 0; first < blocks; first += capacity) {
        int count = Math.min(capacity, blocks - first);
        this.first = first;
        this.count = count;
        done.set(0);
        claims.set(++epoch << 16 | count << 8);
        callHelpers(epoch, count - 1);
        for (int b = claim(epoch); b >= 0; b = claim(epoch)) {
          keep(b, workspaces[0]);
          done.incrementAndGet();
        }
        while (done.get() < count) {
          LockSupport.park(this);
        }
        rethrowFailure();
        for (int b = 0; b < count; b++) {
          sum += sums[b];
          add(grads, b * paramCount, paramGrad);
        }
      }
      return sum;
    }

    /** Adds the {@code paramCount} doubles of {@code from} at {@code offset} into {@code into}. */
    private void add(double[] from, int offset, double[] into) {
      for (int i = 0; i < paramCount; i++) {
        into[i] += from[offset + i];
      }
    }

    /** Asks up to {@code wanted} helpers to join wave {@code epoch}, never forking a task twice. */
    private void callHelpers(long epoch, int wanted) {
      for (int t = 0; t < Math.min(wanted, helpers.length); t++) {
        Helper helper = helpers[t];
        long ticket = helper.ticket.get();
        if (ticket == IDLE) {
          helper.ticket.set(epoch);
          ForkJoinPool.commonPool().execute(helper);
        } else if (ticket != RUNNING) {
          helper.ticket.compareAndSet(ticket, epoch);
        }
      }
    }

    /** Returns the index in its wave of a newly claimed block of {@code epoch}, or -1 if none. */
    private int claim(long epoch) {
      while (true) {
        long word = claims.get();
        int next = (int) word & 0xFF;
        if (word >>> 16 != epoch || next == ((int) word >>> 8 & 0xFF)) {
          return -1;
        }
        if (claims.compareAndSet(word, word + 1)) {
          return next;
        }
      }
    }

    private Workspace workspace() {
      return new Workspace(kernel.workspaceSize(), inputCount, paramCount);
    }

    /** Computes block {@code first + b} into {@code sums[b]} and its part of {@code grads}. */
    private void keep(int b, Workspace w) {
      sums[b] = compute(first + b, w);
      System.arraycopy(w.grad, 0, grads, b * paramCount, paramCount);
    }

    /**
     * Returns the sum of block {@code block}'s outputs and leaves its gradient in {@code w.grad}:
     * on the lane kernel, whose row loops add the rows' gradients in row order, or row by row (also
     * a block of fewer than {@link LaneKernel#MIN_ROWS} rows).
     */
    private double compute(int block, Workspace w) {
      double[] data = rowsData;
      double[] p = params;
      LaneKernel lanes = laneKernel;
      int start = block * BLOCK_ROWS;
      int end = blockEnd(block, rows);
      Arrays.fill(w.grad, 0.0);
      double sum = 0;
      if (lanes != null && end - start >= LaneKernel.MIN_ROWS) {
        double[] array = w.lanes(lanes);
        lanes.gather(data, start, end - start, array);
        lanes.run(array, p, w.grad, end - start);
        int output = lanes.output(0);
        for (int r = 0; r < end - start; r++) {
          sum += array[output + r];
        }
      } else {
        for (int r = start; r < end; r++) {
          System.arraycopy(data, (int) ((long) r * inputCount), w.row, 0, inputCount);
          kernel.run(w.row, p, w.grad, null, w.ws);
          sum += w.ws[0];
        }
      }
      return sum;
    }

    private void rethrowFailure() {
      Throwable e = failure.get();
      if (e instanceof Error error) {
        throw error;
      } else if (e != null) {
        throw (RuntimeException) e;
      }
    }

    /** Computes blocks of wave {@code epoch} while it has some left, as helper {@code slot}. */
    void help(long epoch, int slot) {
      for (int b = claim(epoch); b >= 0; b = claim(epoch)) {
        Thread waiter = caller;
        int wanted = count;
        try {
          if (workspaces[slot] == null) {
            workspaces[slot] = workspace();
          }
          keep(b, workspaces[slot]);
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
        if (done.incrementAndGet() == wanted) {
          LockSupport.unpark(waiter);
        }
      }
    }
  }

  /**
   * A pool task that computes blocks of the wave of its ticket while that wave is current. It holds
   * its wave weakly, so a task left in the queue of a pool that never runs it keeps no graph alive.
   */
  private static final class Helper extends ForkJoinTask<Void> {
    final AtomicLong ticket = new AtomicLong(IDLE);
    final WeakReference<Wave> wave;
    final int slot;

    Helper(Wave wave, int slot) {
      this.wave = new WeakReference<>(wave);
      this.slot = slot;
    }

    @Override
    protected boolean exec() {
      long epoch = ticket.getAndSet(RUNNING);
      Wave w = wave.get();
      if (w != null) {
        w.help(epoch, slot);
      }
      ticket.set(IDLE);
      return false;
    }

    @Override
    public Void getRawResult() {
      return null;
    }

    @Override
    protected void setRawResult(Void value) {}
  }

  /** One thread's scratch arrays: no reference back to a graph or its classes. */
  static final class Workspace {
    double[] ws;
    final double[] row;
    final double[] grad;

    /** A lane kernel's array ({@link LaneKernel#arraySize}), made when a lane kernel first runs. */
    private double[] lanes = new double[0];

    Workspace(int size, int inputs, int params) {
      ws = new double[size];
      row = new double[inputs];
      grad = new double[params];
    }

    /** Returns an array of at least {@code kernel}'s lane array size. */
    double[] lanes(LaneKernel kernel) {
      if (lanes.length < kernel.arraySize()) {
        lanes = new double[kernel.arraySize()];
      }
      return lanes;
    }
  }
}
