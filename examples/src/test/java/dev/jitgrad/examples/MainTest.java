package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Graph;
import dev.jitgrad.engine.GraphViz;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class MainTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private Main main;
  private DigitsCommand digits;

  private int run(String... args) {
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    main = commandLine.getCommand();
    digits = commandLine.getSubcommands().get("digits").getCommand();
    return commandLine.execute(args);
  }

  @Test
  void run_compareDefaultJob_bothEnginesAgreeAndPlotsAreWritten() throws IOException {
    Path folder = dir.resolve("plots");

    int exit = run("--compare", "--quiet", "--out", folder.toString());

    assertEquals(0, exit, err.toString());
    assertEquals("", err.toString());
    assertEquals(EngineKind.COMPILED, main.result().engine());
    assertEquals(1.0, main.result().accuracy());
    assertTrue(out.toString().contains("largest parameter difference"), out.toString());
    for (String name : List.of("decision-boundary.png", "training.png")) {
      BufferedImage image = ImageIO.read(folder.resolve(name).toFile());
      assertNotNull(image, name);
      assertEquals(800, image.getWidth(), name);
      assertEquals(600, image.getHeight(), name);
    }
  }

  @Test
  void run_interpreterEngineWithOptions_usesThem() {
    int exit =
        run(
            "--engine",
            "interpreter",
            "--quiet",
            "--steps",
            "5",
            "--samples",
            "20",
            "--hidden",
            "4",
            "--seed",
            "3",
            "--out",
            dir.toString());

    assertEquals(0, exit, err.toString());
    assertEquals(EngineKind.INTERPRETER, main.result().engine());
    assertEquals(5, main.result().steps());
    assertEquals(4 * 3 + 5, main.result().parameters().length);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--bogus",
        "--steps 0",
        "--steps -2",
        "--samples 0",
        "--hidden 16,-1",
        "--hidden 0",
        "--hidden x",
        "--engine gpu",
        "graph --hidden 0",
        "graph --bogus",
        "--hidden 100000,100000",
        "--steps 2147483647",
        "graph --hidden 100000,100000",
        "digits --epochs 0",
        "digits --bogus"
      })
  void run_badInput_oneLineErrorAndNonZeroExit(String args) {
    List<String> argv = new ArrayList<>(Arrays.asList(args.split(" ")));
    argv.addAll(List.of("--out", dir.toString()));

    int exit = run(argv.toArray(String[]::new));

    assertNotEquals(0, exit);
    assertOneLineError();
  }

  @Test
  void run_outputFolderIsAFile_oneLineErrorAndNonZeroExit() throws IOException {
    Path file = Files.writeString(dir.resolve("taken"), "not a folder");

    int exit = run("--quiet", "--steps", "1", "--out", file.toString());

    assertNotEquals(0, exit);
    assertOneLineError();
    assertTrue(err.toString().contains(file.toString()), err.toString());
  }

  @Test
  void run_graph_writesDotAndSvgWhenGraphvizIsInstalled() throws IOException {
    int exit = run("graph", "--hidden", "2", "--out", dir.toString());

    assertEquals(0, exit, err.toString());
    String dot = Files.readString(dir.resolve("loss.dot"));
    assertTrue(dot.startsWith("digraph"), dot);
    assertTrue(dot.contains("x0") && dot.contains("relu"), dot);
    assertEquals(GraphViz.isDotAvailable(), Files.exists(dir.resolve("loss.svg")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"--samples 1", "--hidden 1 --steps 1 --seed 2"})
  void run_dataOrPredictionsOfOneClass_plotsWhatThereIs(String args) throws IOException {
    List<String> argv = new ArrayList<>(Arrays.asList(args.split(" ")));
    argv.addAll(List.of("--quiet", "--out", dir.toString()));

    int exit = run(argv.toArray(String[]::new));

    assertEquals(0, exit, err.toString());
    for (String name : List.of("decision-boundary.png", "training.png")) {
      assertNotNull(ImageIO.read(dir.resolve(name).toFile()), name);
    }
  }

  @Test
  void run_tinyModelSeed2_predictsOneClassEverywhere() {
    Settings settings = new Settings(2, 100, new int[] {1}, 1);
    Trainer.Run trained = Trainer.run(EngineKind.COMPILED, settings, Progress.SILENT);
    Set<Boolean> signs = new HashSet<>();

    for (double x = -3; x <= 3; x += 0.05) {
      for (double y = -3; y <= 3; y += 0.05) {
        signs.add(trained.score().applyAsDouble(x, y) > 0);
      }
    }

    assertEquals(1, signs.size(), "the edge case that the plot test above relies on");
  }

  @Test
  void run_divergingModel_printsTheLossInScientificNotation() {
    int exit =
        run("--hidden", "32,32,32,32,32,32", "--steps", "3", "--quiet", "--out", dir.toString());

    assertEquals(0, exit, err.toString());
    double loss = main.result().finalLoss();
    assertTrue(Math.abs(loss) > 1e30, "the run was expected to diverge, loss " + loss);
    String expected = String.format(java.util.Locale.ROOT, "loss %.3e,", loss);
    assertTrue(out.toString().contains(expected), out + " should contain " + expected);
    assertTrue(
        out.toString().strip().lines().allMatch(line -> line.length() < 160), out.toString());
  }

  @Test
  void compare_bothEnginesDiverged_saysSoAndFails() {
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    TrainingResult compiled = result(EngineKind.COMPILED, Double.NaN);
    TrainingResult interpreted = result(EngineKind.INTERPRETER, Double.POSITIVE_INFINITY);

    int exit =
        Main.compare(new PrintWriter(stdout), new PrintWriter(stderr), compiled, interpreted);

    assertEquals(Main.FAILURE, exit);
    assertTrue(stderr.toString().startsWith("jitgrad: both engines diverged"), stderr.toString());
    assertFalse(stderr.toString().contains("differ by"), stderr.toString());
    assertTrue(stdout.toString().contains("faster"), stdout.toString());
  }

  @Test
  void compare_oneEngineDiverged_namesIt() {
    StringWriter stderr = new StringWriter();
    TrainingResult compiled = result(EngineKind.COMPILED, 0.5);
    TrainingResult interpreted = result(EngineKind.INTERPRETER, Double.NaN);

    int exit =
        Main.compare(
            new PrintWriter(new StringWriter()), new PrintWriter(stderr), interpreted, compiled);

    assertEquals(Main.FAILURE, exit);
    assertTrue(
        stderr.toString().startsWith("jitgrad: the interpreter engine diverged"),
        stderr.toString());
  }

  @Test
  void compare_equalFiniteParameters_passesAndPrintsTheDifference() {
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();

    int exit =
        Main.compare(
            new PrintWriter(stdout),
            new PrintWriter(stderr),
            result(EngineKind.COMPILED, 0.5),
            result(EngineKind.INTERPRETER, 0.5));

    assertEquals(0, exit);
    assertEquals("", stderr.toString());
    assertTrue(stdout.toString().contains("largest parameter difference 0.00"), stdout.toString());
  }

  /** A finished run whose second parameter is {@code p}, and whose loss is {@code p} too. */
  private static TrainingResult result(EngineKind engine, double p) {
    return new TrainingResult(
        engine,
        new double[] {1.0, p},
        new double[] {p},
        new double[] {0.5},
        Double.NaN,
        1,
        0.1,
        1.0);
  }

  @Test
  void run_graphOverMaxValues_refusesWithTheCountAndWritesNothing() {
    Network network = Trainer.network(new Settings(Settings.DEFAULT_SEED, 100, new int[] {4}, 1));
    int values = Graph.topologicalOrder(network.sampleLoss).size();

    int exit =
        run(
            "graph",
            "--hidden",
            "4",
            "--max-values",
            String.valueOf(values - 1),
            "--out",
            dir.toString());

    assertEquals(Main.FAILURE, exit);
    assertOneLineError();
    assertTrue(err.toString().contains(values + " values"), err.toString());
    assertFalse(Files.exists(dir.resolve("loss.dot")));
  }

  @Test
  void run_outOfMemoryInACommand_oneLineAndFailure() {
    CommandLine commandLine = Main.commandLine();
    commandLine.setErr(new PrintWriter(err, true));
    commandLine.addSubcommand(
        "exhaust",
        CommandLine.Model.CommandSpec.wrapWithoutInspection(
            (Callable<Integer>)
                () -> {
                  throw new OutOfMemoryError("Java heap space");
                }));

    int exit = commandLine.execute("exhaust");

    assertEquals(Main.FAILURE, exit);
    assertOneLineError();
    assertTrue(err.toString().contains("out of memory (Java heap space)"), err.toString());
  }

  @Test
  void version_outsideAJar_isDev() {
    String[] version = new Main.ManifestVersion().getVersion();

    assertArrayEquals(new String[] {"jitgrad dev"}, version);
  }

  @Test
  void run_expr_printsBothEngines() {
    int exit = run("expr");

    assertEquals(0, exit, err.toString());
    String[] lines = out.toString().strip().split("\\R");
    assertEquals(3, lines.length, out.toString());
    assertTrue(lines[1].startsWith("interpreter") && lines[1].contains("24.7041"), lines[1]);
    assertTrue(lines[2].startsWith("compiled") && lines[2].contains("645.5773"), lines[2]);
  }

  @Test
  void run_digits_printsBothAccuraciesAndWritesBothPngs() throws IOException {
    int exit = run("digits", "--epochs", "2", "--quiet", "--out", dir.toString());

    assertEquals(0, exit, err.toString());
    assertEquals("", err.toString());
    String[] lines = out.toString().strip().split("\\R");
    assertEquals(2, lines.length, out.toString());
    assertTrue(
        lines[0].matches(
            "compiled: accuracy [\\d.]+% \\(held-out [\\d.]+%\\), loss .* steps/s, .*"),
        lines[0]);
    assertTrue(lines[0].contains(" 90 steps "), lines[0]);
    BufferedImage confusion = ImageIO.read(dir.resolve("digits-confusion.png").toFile());
    BufferedImage grid = ImageIO.read(dir.resolve("digits-predictions.png").toFile());
    assertNotNull(confusion);
    assertNotNull(grid);
    assertTrue(confusion.getWidth() > 10 * DigitsPlots.CELL, "width " + confusion.getWidth());
    assertTrue(
        grid.getHeight() > DigitsPlots.GRID_ROWS * 8 * DigitsPlots.SCALE,
        "height " + grid.getHeight());
  }

  @Test
  void run_digitsCompare_enginesAgreeWithin1e9() {
    int exit = run("digits", "--epochs", "1", "--compare", "--quiet", "--out", dir.toString());

    assertEquals(0, exit, err.toString());
    assertEquals("", err.toString());
    String[] lines = out.toString().strip().split("\\R");
    assertTrue(lines[1].startsWith("interpreter: accuracy"), out.toString());
    assertTrue(lines[2].contains("largest parameter difference"), out.toString());
  }

  @Test
  void run_digitsOwnData_trainsOnIt() throws IOException {
    StringBuilder csv = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      int digit = i % 10;
      String[] pixels = new String[Digits.PIXELS];
      Arrays.fill(pixels, "0");
      pixels[digit] = "16";
      csv.append(String.join(",", pixels)).append(',').append(digit).append('\n');
    }
    Path file = Files.writeString(dir.resolve("mine.csv"), csv);

    int exit =
        run("digits", "--data", file.toString(), "--seed", "4", "--quiet", "--out", dir.toString());

    assertEquals(0, exit, err.toString());
    assertEquals(50, digits.result().split().train().size());
    assertEquals(1.0, digits.result().training().heldOutAccuracy());
  }

  @Test
  void run_digitsMalformedData_oneLineNamingTheLineAndExit1() throws IOException {
    String row = String.join(",", java.util.Collections.nCopies(Digits.PIXELS, "0")) + ",3";
    Path file = Files.writeString(dir.resolve("bad.csv"), row + "\n" + row + ",7\n");

    int exit = run("digits", "--data", file.toString(), "--quiet", "--out", dir.toString());

    assertEquals(Main.FAILURE, exit);
    assertOneLineError();
    assertEquals(
        "jitgrad: " + file + " line 2: expected 65 comma-separated numbers, got 66",
        err.toString().strip());
  }

  @Test
  void run_digitsMissingData_oneLineAndExit1() {
    Path missing = dir.resolve("missing.csv");

    int exit = run("digits", "--data", missing.toString(), "--quiet", "--out", dir.toString());

    assertEquals(Main.FAILURE, exit);
    assertOneLineError();
    assertEquals("jitgrad: cannot read " + missing + ": no such file", err.toString().strip());
  }

  private void assertOneLineError() {
    String message = err.toString();
    assertTrue(message.startsWith("jitgrad: "), message);
    assertEquals(1, message.strip().lines().count(), message);
    assertFalse(message.contains("Exception") || message.contains("Error"), message);
    assertFalse(message.contains("\tat "), message);
  }
}
