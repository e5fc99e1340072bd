package dev.jitgrad.examples;

import java.util.Locale;

/**
 * Estimates the heap a command needs from its sizes, so that a run the heap cannot hold fails at
 * once with the numbers instead of with an {@code OutOfMemoryError} minutes later.
 *
 * <p>The rates are measured on this demo with OpenJDK 17 and rounded up: the {@code Value} graph of
 * the model and one sample takes about 140 bytes per parameter; compiling it (both graphs, at the
 * peak) needed 160 to 192 MB for 91,501 parameters ({@code --hidden 300,300}); one interpreter step
 * over 100 samples of 10,501 parameters needed 128 to 192 MB; samples and steps are a few arrays of
 * doubles each, plus the plots' copies.
 */
final class Footprint {
  static final long BYTES_PER_PARAMETER = 200;
  static final long BYTES_PER_COMPILED_PARAMETER = 2_200;
  static final long BYTES_PER_INTERPRETED_SAMPLE_PARAMETER = 200;
  static final long BYTES_PER_SAMPLE = 100;
  static final long BYTES_PER_STEP = 64;

  private Footprint() {}

  /**
   * Returns the number of parameters of {@code MLP(2, layerSizes...)}, exactly, or {@code
   * Long.MAX_VALUE} if a long cannot hold it.
   */
  static long parameters(int[] layerSizes) {
    long count = 0;
    long inputs = 2;
    for (int size : layerSizes) {
      try {
        count = Math.addExact(count, Math.multiplyExact(inputs + 1, size));
      } catch (ArithmeticException e) {
        return Long.MAX_VALUE; // past a long, as past any heap: the estimate refuses it
      }
      inputs = size;
    }
    return count;
  }

  /** Returns the estimated peak heap of training with {@code engine} and plotting the result. */
  static long training(Settings settings, EngineKind engine) {
    long parameters = parameters(settings.layerSizes());
    double model =
        engine == EngineKind.COMPILED
            ? (double) parameters * BYTES_PER_COMPILED_PARAMETER
            : (double) parameters * BYTES_PER_PARAMETER
                + (double) parameters * settings.samples() * BYTES_PER_INTERPRETED_SAMPLE_PARAMETER;
    double data = (double) settings.samples() * BYTES_PER_SAMPLE;
    double history = (double) settings.steps() * BYTES_PER_STEP;
    return saturate(model + data + history);
  }

  /** Returns the estimated heap of building the model's {@code Value} graph for one sample. */
  static long graph(Settings settings) {
    return saturate((double) parameters(settings.layerSizes()) * BYTES_PER_PARAMETER);
  }

  /**
   * Checks that {@code needed} bytes fit in the heap still free to grow into.
   *
   * @throws IllegalStateException naming both sizes and what was asked for, if they do not
   */
  static void check(long needed, String what) {
    Runtime runtime = Runtime.getRuntime();
    long available = runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
    if (needed > available) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "%s needs an estimated %s of heap, more than the %s available (%,d > %,d bytes):"
                  + " use smaller sizes, or give Java more with -Xmx",
              what,
              bytes(needed),
              bytes(available),
              needed,
              available));
    }
  }

  /** Returns {@code count} bytes in the largest decimal unit that keeps it at least 1. */
  static String bytes(long count) {
    String[] units = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
    double size = count;
    int unit = 0;
    while (size >= 1000 && unit < units.length - 1) {
      size /= 1000;
      unit++;
    }
    return unit == 0 ? count + " bytes" : String.format(Locale.ROOT, "%.1f %s", size, units[unit]);
  }

  private static long saturate(double bytes) {
    return bytes >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) Math.ceil(bytes);
  }
}
