package dev.jitgrad.codegen;

import static dev.jitgrad.codegen.LaneEmitter.LANES;

import java.util.Arrays;

/**
 * A lane kernel ({@link LaneEmitter}): runs a program on a block of up to {@link LaneEmitter#LANES}
 * rows held in a lane array, inputs first, then workspace slots, each as a row of lanes.
 */
final class LaneKernel {
  private final LaneSegment[] segments;
  private final int inputCount;
  private final int laneRows;
  private final int rowStride;
  private final int gradientSize;

  /** {first element, where it was moved, length} of each moved gradient run, flattened. */
  private final int[] moved;

  LaneKernel(LaneSegment[] segments, LaneEmitter.Code code) {
    this.segments = segments;
    this.inputCount = code.inputCount();
    this.laneRows = code.laneRows();
    this.rowStride = code.rowStride();
    this.gradientSize = code.gradientSize();
    this.moved = new int[3 * code.moved().size()];
    for (int i = 0; i < code.moved().size(); i++) {
      System.arraycopy(code.moved().get(i), 0, moved, 3 * i, 3);
    }
  }

  /** Returns the length of the lane array {@link #run} needs. */
  int arraySize() {
    return (laneRows + rowStride) * LANES;
  }

  /**
   * Returns the length of the gradient array {@link #run} accumulates into: the parameters'
   * elements, then room for runs that the kernel accumulates elsewhere ({@link #finishGradient}).
   */
  int gradientSize() {
    return gradientSize;
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
    for (int r = 0; r < rows; r++) {
      int row = from + r * inputCount;
      System.arraycopy(data, row, lanes, laneRows * LANES + r * rowStride, inputCount);
      for (int x = 0; x < inputCount; x++) {
        lanes[x * LANES + r] = data[row + x];
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
   * rows} lanes (at least 1), in lane order, into {@code pg} (null for a forward program) of {@link
   * #gradientSize}; {@link #finishGradient} then puts every element in its place.
   */
  void run(double[] lanes, double[] p, double[] pg, int rows) {
    for (LaneSegment s : segments) {
      s.run(lanes, p, pg, rows);
    }
  }

  /**
   * Moves the runs that {@link #run} accumulated past the parameters' elements into their places in
   * {@code pg}, which held zeros there.
   */
  void finishGradient(double[] pg) {
    for (int i = 0; i < moved.length; i += 3) {
      System.arraycopy(pg, moved[i + 1], pg, moved[i], moved[i + 2]);
    }
  }
}
