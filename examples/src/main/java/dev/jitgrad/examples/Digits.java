package dev.jitgrad.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Handwritten digits: 8×8 images of pixel counts 0–16 and their labels 0–9.
 *
 * <p>The default data is the UCI "Optical Recognition of Handwritten Digits" test split (1,797
 * images, Alpaydin and Kaynak 1998, CC BY 4.0; see NOTICE), shipped as a gzipped CSV: each line
 * holds 64 pixels, row by row, then the label.
 */
final class Digits {
  static final int PIXELS = 64;
  static final int CLASSES = 10;

  /** The shipped data set's resource name, next to this class. */
  static final String RESOURCE = "digits.csv.gz";

  private final double[] pixels;
  private final int[] labels;

  private Digits(double[] pixels, int[] labels) {
    this.pixels = pixels;
    this.labels = labels;
  }

  /** Returns the shipped 1,797 digits. */
  static Digits load() {
    try (InputStream in = Digits.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the jar lacks its data set " + RESOURCE);
      }
      return parse(new GZIPInputStream(in), RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
    }
  }

  /**
   * Returns the digits in a CSV file of the same form, gzipped if its name ends in {@code .gz}.
   *
   * @throws IllegalArgumentException naming the file and line if a line is malformed
   * @throws UncheckedIOException if the file cannot be read
   */
  static Digits load(Path file) {
    try (InputStream raw = Files.newInputStream(file)) {
      InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
      return parse(in, file.toString());
    } catch (NoSuchFileException e) {
      throw new UncheckedIOException("cannot read " + file + ": no such file", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + Main.reason(e), e);
    }
  }

  /**
   * Parses CSV lines of 64 pixel counts in [0, 16] and a label in [0, 9].
   *
   * @throws IllegalArgumentException naming {@code source} and the line if a line is malformed or
   *     there is no line at all
   */
  static Digits parse(InputStream in, String source) throws IOException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    double[] pixels = new double[PIXELS * 2048];
    int[] labels = new int[2048];
    int n = 0;
    int lineNumber = 0;
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      lineNumber++;
      if (line.isBlank()) {
        continue;
      }
      String[] fields = line.split(",", -1);
      if (fields.length != PIXELS + 1) {
        throw malformed(
            source,
            lineNumber,
            "expected " + (PIXELS + 1) + " comma-separated numbers, got " + fields.length);
      }
      if (n == labels.length) {
        labels = Arrays.copyOf(labels, n * 2);
        pixels = Arrays.copyOf(pixels, n * 2 * PIXELS);
      }
      for (int i = 0; i < PIXELS; i++) {
        pixels[n * PIXELS + i] = number(fields[i], 16, source, lineNumber, "pixel " + i);
      }
      labels[n] = (int) number(fields[PIXELS], CLASSES - 1, source, lineNumber, "the label");
      n++;
    }
    if (n == 0) {
      throw new IllegalArgumentException(source + " holds no digits");
    }
    return new Digits(Arrays.copyOf(pixels, n * PIXELS), Arrays.copyOf(labels, n));
  }

  /** Parses a whole number in [0, max]. */
  private static double number(String field, int max, String source, int line, String what) {
    String text = field.strip();
    double v;
    try {
      v = Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw malformed(source, line, what + " is '" + text + "', expected a number");
    }
    if (!(v >= 0 && v <= max) || v != Math.rint(v)) {
      throw malformed(
          source, line, what + " is " + text + ", expected a whole number in [0, " + max + "]");
    }
    return v;
  }

  private static IllegalArgumentException malformed(String source, int line, String what) {
    return new IllegalArgumentException(source + " line " + line + ": " + what);
  }

  /** Returns how many digits there are. */
  int size() {
    return labels.length;
  }

  /** Returns pixel {@code p} (row-major, 0–63) of digit {@code i}, a count in [0, 16]. */
  double pixel(int i, int p) {
    return pixels[i * PIXELS + p];
  }

  /** Returns the label of digit {@code i}, in [0, 9]. */
  int label(int i) {
    return labels[i];
  }
}
