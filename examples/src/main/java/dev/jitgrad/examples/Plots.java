package dev.jitgrad.examples;

import dev.jitgrad.nn.Dataset;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.BiConsumer;
import java.util.function.DoubleBinaryOperator;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.Styler.YAxisPosition;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws the demo's two figures as PNGs of a fixed size with XChart, without a display. */
final class Plots {
  static final int WIDTH = 800;
  static final int HEIGHT = 600;

  private static final int GRID_COLUMNS = 80;
  private static final int GRID_ROWS = 60;
  private static final Color NEGATIVE = new Color(0x1f77b4);
  private static final Color POSITIVE = new Color(0xd62728);

  private Plots() {}

  /**
   * Writes the decision boundary: the sign of {@code score} over a grid around the data, as light
   * squares, and the points coloured by label (micrograd's {@code contourf} figure).
   */
  static void decisionBoundary(Dataset data, DoubleBinaryOperator score, Path file)
      throws IOException {
    double[] box = boundingBox(data);
    Series negativeRegion = new Series(GRID_COLUMNS * GRID_ROWS);
    Series positiveRegion = new Series(GRID_COLUMNS * GRID_ROWS);
    for (int c = 0; c < GRID_COLUMNS; c++) {
      for (int r = 0; r < GRID_ROWS; r++) {
        double x = box[0] + (box[1] - box[0]) * (c + 0.5) / GRID_COLUMNS;
        double y = box[2] + (box[3] - box[2]) * (r + 0.5) / GRID_ROWS;
        (score.applyAsDouble(x, y) > 0 ? positiveRegion : negativeRegion).add(x, y);
      }
    }
    Series negative = new Series(data.size());
    Series positive = new Series(data.size());
    for (int i = 0; i < data.size(); i++) {
      double[] x = data.features()[i];
      (data.labels()[i][0] > 0 ? positive : negative).add(x[0], x[1]);
    }

    XYChart chart = new XYChart(WIDTH, HEIGHT);
    chart.setTitle("Decision boundary");
    chart.setXAxisTitle("x0");
    chart.setYAxisTitle("x1");
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Scatter);
    chart.getStyler().setLegendPosition(LegendPosition.InsideNE);
    chart.getStyler().setPlotGridLinesVisible(false);
    chart.getStyler().setPlotContentSize(1.0);
    chart.getStyler().setXAxisMin(box[0]).setXAxisMax(box[1]);
    chart.getStyler().setYAxisMin(box[2]).setYAxisMax(box[3]);
    add(chart, "score <= 0", negativeRegion, Plots::region, NEGATIVE);
    add(chart, "score > 0", positiveRegion, Plots::region, POSITIVE);
    add(chart, "y = -1", negative, Plots::points, NEGATIVE);
    add(chart, "y = +1", positive, Plots::points, POSITIVE);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapFormat.PNG);
  }

  /** Writes the loss and the accuracy at each step, on a left and a right axis. */
  static void training(TrainingResult result, Path file) throws IOException {
    double[] steps = new double[result.losses().length];
    for (int k = 0; k < steps.length; k++) {
      steps[k] = k;
    }
    XYChart chart = new XYChart(WIDTH, HEIGHT);
    chart.setTitle("Training (" + result.engine() + " engine)");
    chart.setXAxisTitle("step");
    chart.setYAxisGroupTitle(0, "loss");
    chart.setYAxisGroupTitle(1, "accuracy");
    chart.getStyler().setYAxisGroupPosition(1, YAxisPosition.Right);
    chart.getStyler().setYAxisMin(0, 0.0);
    chart.getStyler().setYAxisMin(1, 0.0).setYAxisMax(1, 1.0);
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    chart.getStyler().setMarkerSize(0);
    chart.addSeries("loss", steps, result.losses()).setLineColor(NEGATIVE);
    XYSeries accuracy = chart.addSeries("accuracy", steps, result.accuracies());
    accuracy.setYAxisGroup(1);
    accuracy.setLineColor(POSITIVE);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapFormat.PNG);
  }

  /** Returns {@code [xmin, xmax, ymin, ymax]}: the data's extent with a margin of 1. */
  private static double[] boundingBox(Dataset data) {
    double[] box = {
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY
    };
    for (double[] x : data.features()) {
      box[0] = Math.min(box[0], x[0] - 1);
      box[1] = Math.max(box[1], x[0] + 1);
      box[2] = Math.min(box[2], x[1] - 1);
      box[3] = Math.max(box[3], x[1] + 1);
    }
    return box;
  }

  /**
   * Adds {@code series} to {@code chart}, drawn by {@code style} in {@code color}, unless it is
   * empty (XChart rejects empty series; a model that predicts one class leaves a region empty).
   */
  private static void add(
      XYChart chart, String name, Series series, BiConsumer<XYSeries, Color> style, Color color) {
    if (series.size > 0) {
      style.accept(chart.addSeries(name, series.xs(), series.ys()), color);
    }
  }

  /** Draws a series as grid cells in a pale, opaque version of {@code color}. */
  private static void region(XYSeries series, Color color) {
    series.setMarker(new Cell());
    series.setMarkerColor(
        new Color(pale(color.getRed()), pale(color.getGreen()), pale(color.getBlue())));
  }

  private static int pale(int channel) {
    return 255 - (255 - channel) / 4;
  }

  private static void points(XYSeries series, Color color) {
    series.setMarker(SeriesMarkers.CIRCLE);
    series.setMarkerColor(color);
  }

  /**
   * A square marker as big as a grid cell on the widest plot area, whatever the chart's marker
   * size, so neighbouring cells touch or overlap and the regions read as filled areas.
   */
  private static final class Cell extends Marker {
    private static final double SIDE =
        Math.ceil(Math.max(WIDTH / (double) GRID_COLUMNS, HEIGHT / (double) GRID_ROWS));

    @Override
    public void paint(Graphics2D g, double x, double y, int markerSize) {
      g.fill(new Rectangle2D.Double(x - SIDE / 2, y - SIDE / 2, SIDE, SIDE));
    }
  }

  /** A growable pair of coordinate lists. */
  private static final class Series {
    private final double[] xs;
    private final double[] ys;
    private int size;

    Series(int capacity) {
      xs = new double[capacity];
      ys = new double[capacity];
    }

    void add(double x, double y) {
      xs[size] = x;
      ys[size] = y;
      size++;
    }

    double[] xs() {
      return Arrays.copyOf(xs, size);
    }

    double[] ys() {
      return Arrays.copyOf(ys, size);
    }
  }
}
