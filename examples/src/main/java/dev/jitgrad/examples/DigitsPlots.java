package dev.jitgrad.examples;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;

/** Draws the digits demo's two figures as PNGs with {@code java.awt}, without a display. */
final class DigitsPlots {
  /** The side of a confusion-matrix cell, in pixels. */
  static final int CELL = 48;

  /** The digits in a row and the rows of the grid of held-out digits. */
  static final int GRID_COLUMNS = 10;

  static final int GRID_ROWS = 5;

  /** The side of one image pixel in the grid, in pixels. */
  static final int SCALE = 6;

  private static final int MARGIN_LEFT = 90;
  private static final int MARGIN_TOP = 80;
  private static final int TILE_WIDTH = 72;
  private static final int TILE_HEIGHT = 8 * SCALE + 26;
  private static final Color RIGHT = new Color(0x1f77b4);
  private static final Color WRONG = new Color(0xd62728);

  private DigitsPlots() {}

  /**
   * Writes the held-out confusion matrix: rows are the true digits, columns the predicted ones,
   * each cell its count, shaded by its share of the row (blue on the diagonal, red off it).
   */
  static void confusion(int[][] counts, Path file) throws IOException {
    int size = counts.length;
    BufferedImage image =
        new BufferedImage(
            MARGIN_LEFT + size * CELL + 30,
            MARGIN_TOP + size * CELL + 30,
            BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(image);
    int total = 0;
    int right = 0;
    for (int t = 0; t < size; t++) {
      for (int p = 0; p < size; p++) {
        total += counts[t][p];
        right += t == p ? counts[t][p] : 0;
      }
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString(
        String.format(
            Locale.ROOT,
            "Held-out confusion matrix: %d of %d right (%.1f%%)",
            right,
            total,
            100.0 * right / Math.max(1, total)),
        MARGIN_LEFT - 60,
        26);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    centre(g, "predicted digit", MARGIN_LEFT + size * CELL / 2, MARGIN_TOP - 30);
    AffineTransform upright = g.getTransform();
    g.rotate(-Math.PI / 2);
    centre(g, "true digit", -(MARGIN_TOP + size * CELL / 2), MARGIN_LEFT - 50);
    g.setTransform(upright);
    for (int t = 0; t < size; t++) {
      int rowTotal = 0;
      for (int p = 0; p < size; p++) {
        rowTotal += counts[t][p];
      }
      g.setColor(Color.BLACK);
      centre(g, String.valueOf(t), MARGIN_LEFT + t * CELL + CELL / 2, MARGIN_TOP - 8);
      centre(g, String.valueOf(t), MARGIN_LEFT - 16, MARGIN_TOP + t * CELL + CELL / 2 + 5);
      for (int p = 0; p < size; p++) {
        double share = rowTotal == 0 ? 0 : (double) counts[t][p] / rowTotal;
        int x = MARGIN_LEFT + p * CELL;
        int y = MARGIN_TOP + t * CELL;
        g.setColor(blend(t == p ? RIGHT : WRONG, t == p ? share : Math.min(1, 3 * share)));
        g.fillRect(x, y, CELL, CELL);
        g.setColor(Color.LIGHT_GRAY);
        g.drawRect(x, y, CELL, CELL);
        if (counts[t][p] > 0) {
          g.setColor(t == p && share > 0.5 ? Color.WHITE : Color.BLACK);
          centre(g, String.valueOf(counts[t][p]), x + CELL / 2, y + CELL / 2 + 5);
        }
      }
    }
    write(image, g, file);
  }

  /**
   * Writes the first held-out digits, up to {@link #GRID_ROWS} rows of {@link #GRID_COLUMNS}, each
   * with its predicted label: black when right, red with the true digit when wrong.
   *
   * @param digits the data
   * @param indices the index in {@code digits} of each held-out digit
   * @param predictions the predicted label of each held-out digit
   */
  static void predictions(Digits digits, int[] indices, int[] predictions, Path file)
      throws IOException {
    int shown = Math.min(indices.length, GRID_COLUMNS * GRID_ROWS);
    int rows = Math.max(1, (shown + GRID_COLUMNS - 1) / GRID_COLUMNS);
    BufferedImage image =
        new BufferedImage(
            GRID_COLUMNS * TILE_WIDTH + 20, 50 + rows * TILE_HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(image);
    int wrong = 0;
    for (int i = 0; i < shown; i++) {
      wrong += predictions[i] == digits.label(indices[i]) ? 0 : 1;
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString(
        String.format(
            Locale.ROOT,
            "First %d of %d held-out digits, predicted: %d wrong, in red (true digit)",
            shown,
            indices.length,
            wrong),
        10,
        26);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    for (int i = 0; i < shown; i++) {
      int x = 10 + (i % GRID_COLUMNS) * TILE_WIDTH + (TILE_WIDTH - 8 * SCALE) / 2;
      int y = 40 + (i / GRID_COLUMNS) * TILE_HEIGHT;
      for (int p = 0; p < Digits.PIXELS; p++) {
        int ink = 255 - (int) Math.round(digits.pixel(indices[i], p) * 255 / 16);
        g.setColor(new Color(ink, ink, ink));
        g.fillRect(x + (p % 8) * SCALE, y + (p / 8) * SCALE, SCALE, SCALE);
      }
      int truth = digits.label(indices[i]);
      boolean right = predictions[i] == truth;
      g.setColor(right ? Color.BLACK : WRONG);
      String label = right ? String.valueOf(predictions[i]) : predictions[i] + " (" + truth + ")";
      centre(g, label, x + 4 * SCALE, y + 8 * SCALE + 18);
    }
    write(image, g, file);
  }

  private static Graphics2D canvas(BufferedImage image) {
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    g.setColor(Color.BLACK);
    return g;
  }

  private static void centre(Graphics2D g, String text, int x, int baseline) {
    FontMetrics metrics = g.getFontMetrics();
    g.drawString(text, x - metrics.stringWidth(text) / 2, baseline);
  }

  /** Returns {@code color} mixed into white: white at 0, {@code color} at 1. */
  private static Color blend(Color color, double amount) {
    return new Color(
        mix(color.getRed(), amount), mix(color.getGreen(), amount), mix(color.getBlue(), amount));
  }

  private static int mix(int channel, double amount) {
    return (int) Math.round(255 - (255 - channel) * amount);
  }

  private static void write(BufferedImage image, Graphics2D g, Path file) throws IOException {
    g.dispose();
    if (Files.isDirectory(file)) {
      throw new IOException("cannot write " + file + ": a folder of that name exists");
    }
    try {
      if (!ImageIO.write(image, "png", file.toFile())) {
        throw new IOException("no PNG writer for " + file);
      }
    } catch (IIOException e) { // "Can't create an ImageOutputStream!", naming no file
      throw new IOException("cannot write " + file + ": " + Main.reason(e), e);
    }
  }
}
