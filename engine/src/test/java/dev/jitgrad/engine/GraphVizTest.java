package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GraphVizTest {

  private static int count(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  /** x·y + tanh(x): 2 leaves, 3 ops (mul, tanh, add), 5 operand edges. */
  private static Value sample() {
    Value x = Value.of(2.0, "x");
    Value y = Value.of(-3.0, "y");
    return x.mul(y).add(x.tanh());
  }

  @Test
  void toDot_smallGraph_hasARecordPerValueAndAnOpNodePerOperation() {
    Value out = sample();

    String dot = GraphViz.toDot(out);

    assertTrue(dot.startsWith("digraph"), dot);
    assertTrue(dot.contains("rankdir=LR"), dot);
    assertEquals(5, count(dot, "shape=record"), dot);
    assertEquals(3, count(dot, "op\\d+ \\[label="), dot);
    assertEquals(3 + 5, count(dot, "-> "), dot);
    assertTrue(dot.contains("label=\"*\""), dot);
    assertTrue(dot.contains("label=\"+\""), dot);
    assertTrue(dot.contains("label=\"tanh\""), dot);
  }

  @Test
  void toDot_afterBackward_showsLabelsDataAndGrad() {
    Value x = Value.of(2.0, "x");
    Value y = Value.of(-3.0, "y");
    Value out = x.mul(y);
    out.backward();

    String dot = GraphViz.toDot(out);

    assertTrue(dot.contains("{ x | data 2.0000 | grad -3.0000 }"), dot);
    assertTrue(dot.contains("{ y | data -3.0000 | grad 2.0000 }"), dot);
    assertTrue(dot.contains("data -6.0000 | grad 1.0000"), dot);
  }

  @Test
  void toDot_labelWithRecordSyntax_isEscaped() {
    Value v = Value.of(1.0, "a|b{c}\"d\"");

    String dot = GraphViz.toDot(v);

    assertTrue(dot.contains("a\\|b\\{c\\}\\\"d\\\""), dot);
  }

  @Test
  void toDot_labelWithControlCharacters_showsThemAsEscapes() {
    Value v = Value.of(1.0, "a\u0000b\nc\u007f");

    String dot = GraphViz.toDot(v);

    assertTrue(dot.contains("{ a\\\\u0000b\\\\u000ac\\\\u007f | data"), dot);
    assertLexicallyValid(dot);
  }

  @Test
  void toDot_labelLongerThanDotAccepts_isCut() {
    Value v = Value.of(1.0, "|".repeat(20_000));

    String dot = GraphViz.toDot(v);

    assertTrue(dot.contains("{ " + "\\|".repeat(GraphViz.MAX_LABEL) + "... | data"), dot);
    assertLexicallyValid(dot);
  }

  @Test
  void render_labelWithEveryAsciiCharacterAndALongOne_dotAcceptsIt(@TempDir Path dir)
      throws IOException {
    assumeTrue(GraphViz.isDotAvailable(), "Graphviz's dot is not installed");
    StringBuilder every = new StringBuilder();
    for (char c = 0; c < 0xa0; c++) {
      every.append(c);
    }
    Value out =
        Value.of(1.0, every + "\u00e9\u2211\ud83d\ude00").mul(Value.of(2.0, "\\".repeat(10_000)));
    Path file = dir.resolve("odd.svg");

    GraphViz.render(out, file);

    assertTrue(Files.readString(file, StandardCharsets.UTF_8).contains("<svg"));
  }

  /**
   * Checks what labels can break: every quoted string is closed, holds no control character and is
   * within dot's 16,384-byte limit.
   */
  private static void assertLexicallyValid(String dot) {
    // A scanner, not a regular expression: java.util.regex recurses once per character of a
    // quoted string, which overflowed the stack on JDK 25 at the 1,000 escaped characters of a cut
    // label.
    for (int i = dot.indexOf('"'); i >= 0; i = dot.indexOf('"', i + 1)) {
      int start = i + 1;
      for (i = start; i < dot.length() && dot.charAt(i) != '"'; i++) {
        if (dot.charAt(i) == '\\') {
          i++;
        }
      }
      assertTrue(i < dot.length(), "a quote opened at " + (start - 1) + " is not closed: " + dot);
      String text = dot.substring(start, i);
      assertTrue(text.chars().noneMatch(Character::isISOControl), text);
      assertTrue(text.getBytes(StandardCharsets.UTF_8).length < 16_384, "length " + text.length());
    }
  }

  @Test
  void toDot_pow_showsTheExponent() {
    String dot = GraphViz.toDot(Value.of(2.0).pow(3));

    assertTrue(dot.contains("label=\"**3.0\""), dot);
  }

  @Test
  void toDot_clamp_showsItsBounds() {
    String dot = GraphViz.toDot(Value.of(2).clamp(-1, 0.5));

    assertTrue(dot.contains("label=\"clamp[-1.0, 0.5]\""), dot);
  }

  @Test
  void render_svg_writesAnSvgFile(@TempDir Path dir) throws IOException {
    assumeTrue(GraphViz.isDotAvailable(), "Graphviz's dot is not installed");
    Path file = dir.resolve("graph.svg");
    Value out = sample().add(Value.of(1.0, "odd|label{}"));

    GraphViz.render(out, file);

    String svg = Files.readString(file, StandardCharsets.UTF_8);
    assertTrue(svg.startsWith("<?xml") || svg.startsWith("<svg"), svg);
    assertTrue(svg.contains("<svg"), svg);
    assertTrue(svg.contains("tanh"), svg);
  }

  @Test
  void render_png_writesAPngFile(@TempDir Path dir) throws IOException {
    assumeTrue(GraphViz.isDotAvailable(), "Graphviz's dot is not installed");
    Path file = dir.resolve("graph.PNG");

    GraphViz.render(sample(), file);

    byte[] magic = Arrays.copyOf(Files.readAllBytes(file), 8);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, magic);
  }

  @Test
  void render_fileNameStartingWithDash_writesThatFile(@TempDir Path dir) throws IOException {
    assumeTrue(GraphViz.isDotAvailable(), "Graphviz's dot is not installed");
    Path file = dir.resolve("-o.svg");

    GraphViz.render(sample(), file);

    assertTrue(Files.readString(file, StandardCharsets.UTF_8).contains("<svg"));
  }

  @Test
  void run_commandThatNeverFinishes_isKilledAndThrowsNamingTheTimeout(@TempDir Path dir) {
    assumeTrue(Files.isExecutable(Path.of("/bin/sh")));
    List<String> hangs = List.of("/bin/sh", "-c", "sleep 60", "sh");

    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> GraphViz.run(hangs, "digraph {}", Duration.ofMillis(300), dir.resolve("g.svg")));

    assertTrue(e.getMessage().contains("did not finish"), e.getMessage());
  }

  @Test
  void run_commandWritingMoreThanAPipeHolds_failsWithItsExitCodeInsteadOfStalling(
      @TempDir Path dir) {
    assumeTrue(Files.isExecutable(Path.of("/bin/sh")));
    List<String> chatty =
        List.of("/bin/sh", "-c", "yes | head -c 1000000; cat \"$1\"; exit 3", "sh");

    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> GraphViz.run(chatty, "digraph {}", Duration.ofMinutes(1), dir.resolve("g.svg")));

    assertTrue(e.getMessage().startsWith("dot exited with 3"), e.getMessage());
    assertTrue(e.getMessage().endsWith("digraph {}"), e.getMessage());
  }

  @Test
  void command_fileNameStartingWithDash_isOneAbsoluteOutputArgument() {
    Path file = Path.of("-graph.svg");

    List<String> command = GraphViz.command(file);

    assertEquals(List.of("dot", "-Tsvg", "-o" + file.toAbsolutePath()), command);
    assertTrue(file.toAbsolutePath().isAbsolute());
  }

  @Test
  void render_pathWithoutFileName_throwsNamingThePath() {
    Path root = Path.of("/");

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> GraphViz.render(sample(), root));

    assertTrue(e.getMessage().contains("got /,"), e.getMessage());
    assertTrue(e.getMessage().contains("no file name"), e.getMessage());
  }

  @Test
  void render_unsupportedExtension_throwsNamingTheFile(@TempDir Path dir) {
    Path file = dir.resolve("graph.pdf");

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> GraphViz.render(sample(), file));

    assertTrue(e.getMessage().contains("graph.pdf"), e.getMessage());
    assertTrue(Files.notExists(file));
  }
}
