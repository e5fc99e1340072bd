package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.GraphViz;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

  private int run(String... args) {
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    main = commandLine.getCommand();
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
        "graph --bogus"
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

  @Test
  void run_expr_printsBothEngines() {
    int exit = run("expr");

    assertEquals(0, exit, err.toString());
    String[] lines = out.toString().strip().split("\\R");
    assertEquals(3, lines.length, out.toString());
    assertTrue(lines[1].startsWith("interpreter") && lines[1].contains("24.7041"), lines[1]);
    assertTrue(lines[2].startsWith("compiled") && lines[2].contains("645.5773"), lines[2]);
  }

  private void assertOneLineError() {
    String message = err.toString();
    assertTrue(message.startsWith("jitgrad: "), message);
    assertEquals(1, message.strip().lines().count(), message);
    assertFalse(message.contains("Exception"), message);
    assertFalse(message.contains("\tat "), message);
  }
}
