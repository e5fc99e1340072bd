package dev.jitgrad.nn;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * The saved form of an optimiser's state, for {@link Optimizer#writeState} and {@link
 * Optimizer#readState}.
 *
 * <pre>
 * state    := UTF name, int32 version (1), int32 n, n × float64 settings, then the optimiser's own
 *             fields: Sgd: float64 learningRate, array velocity;
 *             Adam: float64 learningRate, int32 t, array m, array v;
 *             a schedule: int32 step, then the scheduled optimiser's state
 * array    := int32 length (-1 for none yet), length × float64
 * </pre>
 *
 * <p>Big-endian, as {@link DataOutput} writes. The settings (momentum, betas, weight decays, ...)
 * are not restored but compared: state only resumes in an optimiser built the same way. Arrays are
 * read in chunks, so a forged length allocates no more than the stream holds.
 */
final class OptimizerState {
  private static final int VERSION = 1;
  private static final int CHUNK = 1 << 13;

  private OptimizerState() {}

  /** Writes the header: who wrote the state and with which settings. */
  static void writeHeader(DataOutput out, String name, double... settings) throws IOException {
    out.writeUTF(name);
    out.writeInt(VERSION);
    out.writeInt(settings.length);
    for (double s : settings) {
      out.writeDouble(s);
    }
  }

  /**
   * Reads a header and checks that it was written by {@code name} with these {@code settings}.
   *
   * @throws IOException if it was not
   */
  static void readHeader(DataInput in, String name, double... settings) throws IOException {
    String saved = in.readUTF();
    if (!saved.equals(name)) {
      throw new IOException("the state was saved by " + saved + ", not by " + name);
    }
    int version = in.readInt();
    if (version != VERSION) {
      throw new IOException(
          name + " state has format version " + version + ", expected " + VERSION);
    }
    int n = in.readInt();
    if (n != settings.length) {
      throw new IOException(name + " state has " + n + " settings, expected " + settings.length);
    }
    double[] savedSettings = new double[n];
    for (int i = 0; i < n; i++) {
      savedSettings[i] = in.readDouble();
    }
    if (!Arrays.equals(savedSettings, settings)) {
      throw new IOException(
          name
              + " state was saved with settings "
              + Arrays.toString(savedSettings)
              + ", but this optimiser has "
              + Arrays.toString(settings));
    }
  }

  static void writeArray(DataOutput out, double[] a) throws IOException {
    out.writeInt(a == null ? -1 : a.length);
    if (a != null) {
      for (double x : a) {
        out.writeDouble(x);
      }
    }
  }

  /**
   * Reads an array that {@link #writeArray} wrote, or null.
   *
   * @throws IOException if its length is below -1 or the stream ends inside it
   */
  static double[] readArray(DataInput in, String what) throws IOException {
    int n = in.readInt();
    if (n < -1) {
      throw new IOException(what + " has length " + n + ", expected at least 0 (or -1: none)");
    }
    if (n == -1) {
      return null;
    }
    double[] a = new double[Math.min(n, CHUNK)];
    for (int i = 0; i < n; i++) {
      if (i == a.length) {
        a = Arrays.copyOf(a, (int) Math.min(n, 2L * a.length));
      }
      a[i] = in.readDouble();
    }
    return a;
  }

  /**
   * Reads a learning rate that must be finite and at least {@code min}, and above it if {@code
   * strict}.
   *
   * @throws IOException if it is not
   */
  static double readRate(DataInput in, double min, boolean strict) throws IOException {
    double rate = in.readDouble();
    if (!(strict ? rate > min : rate >= min) || rate == Double.POSITIVE_INFINITY) {
      throw new IOException(
          "the saved learning rate is " + rate + ", which this optimiser refuses");
    }
    return rate;
  }
}
