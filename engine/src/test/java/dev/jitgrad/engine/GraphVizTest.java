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
import java.util.Arrays;
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
  void toDot_pow_showsTheExponent() {
    String dot = GraphViz.toDot(Value.of(2.0).pow(3));

    assertTrue(dot.contains("label=\"**3.0\""), dot);
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
  void render_unsupportedExtension_throwsNamingTheFile(@TempDir Path dir) {
    Path file = dir.resolve("graph.pdf");

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> GraphViz.render(sample(), file));

    assertTrue(e.getMessage().contains("graph.pdf"), e.getMessage());
    assertTrue(Files.notExists(file));
  }
}
