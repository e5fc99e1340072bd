package dev.jitgrad.codegen;

import static dev.jitgrad.codegen.LaneEmitter.LANES;

import java.util.Arrays;

/**
 * A lane kernel ({@link LaneEmitter}): runs a program on a block of up to {@link LaneEmitter#LANES}
 * rows held in a lane array, inputs first, then workspace slots, each as a row of lanes, then the
 * inputs row-major and the kernel's scratch space.
 */
final class LaneKernel {
  private final LaneSegment[] segments;
  private final int inputCount;
  private final int laneRows;
  private final int scratch;

  /**
   * The fewest rows a block runs on the lane kernel with; a block of fewer rows (a batch's last)
   * runs row by row on the per-row kernel, which gives the same bits. A lane kernel computes all
   * {@link LaneEmitter#LANES} lanes whatever the rows, so a block costs the same with 1 row as with
   * 16: the moons step's 100 rows end in a block of 4, which took a seventh of its time.
   */
  static final int MIN_ROWS = 8;

  LaneKernel(LaneSegment[] segments, int inputCount, int laneRows, int scratch) {
    this.segments = segments;
    this.inputCount = inputCount;
    this.laneRows = laneRows;
    this.scratch = scratch;
  }

  /** Returns the length of the lane array {@link #run} needs. */
  int arraySize() {
    return (laneRows + inputCount) * LANES + scratch;
  }

  /** Returns where output {@code o} of lane 0 sits in the lane array; lane l follows at + l. */
  int output(int o) {
    return (inputCount + o) * LANES;
  }

  /**
   * Copies {@code rows} rows of row-major {@code data}, from row {@code first} on, into the input
   * lanes of {@code lanes} and its row-major copy, and zeros the inputs of the lanes past them.
   */
  void gather(double[] data, int first, int rows, double[] lanes) {
    int from = (int) ((long) first * inputCount);
    System.arraycopy(data, from, lanes, laneRows * LANES, rows * inputCount);
    for (int r = 0; r < rows; r++) {
      for (int x = 0; x < inputCount; x++) {
        lanes[x * LANES + r] = data[from + r * inputCount + x];
      }
    }
    if (rows < LANES) {
      for (int x = 0; x < inputCount; x++) {
        Arrays.fill(lanes, x * LANES + rows, (x + 1) * LANES, 0.0);
      }
    }
  }

  /**
   * Runs the program on every lane of {@code lanes} and adds the gradients of its first {@code
   * rows} lanes (at least 1), in lane order, into {@code pg} (null for a forward program), which
   * must hold +0.0 or sums started from it: no element may be -0.0, since the plain form leaves out
   * terms of ±0 ({@link LaneUpdates}).
   */
  void run(double[] lanes, double[] p, double[] pg, int rows) {
    for (LaneSegment s : segments) {
      s.run(lanes, p, pg, rows);
    }
  }
}
