package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 12's sizes for irregular graphs, each in a JVM of its own with a 1 GB heap: a chain of a
 * million nodes and one sum of a million params compile, and their compiled value and gradients are
 * {@code backward()}'s. The time bound only detects a hang.
 */
class MillionNodeCompileTest {
  @ParameterizedTest
  @ValueSource(strings = {"chain", "sum"})
  void compile_millionNodesInOneGigabyteHeap_sameNumbersAsBackward(String graph, @TempDir Path dir)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    File out = dir.resolve("out.txt").toFile();
    Process child =
        new ProcessBuilder(
                java,
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path"),
                MillionNodeChild.class.getName(),
                graph)
            .redirectOutput(out)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();

    boolean done = child.waitFor(600, TimeUnit.SECONDS);

    if (!done) {
      child.destroyForcibly();
      fail("the child JVM did not finish within 600 s");
    }
    assertEquals(0, child.exitValue(), "the child JVM's exit code");
    List<String> lines = Files.readAllLines(out.toPath(), StandardCharsets.US_ASCII);
    assertTrue(lines.size() >= 3, "lines printed: " + lines);
    for (String line : lines) {
      String[] f = line.split(" ");
      double compiled = Double.longBitsToDouble(Long.parseLong(f[1]));
      double expected = Double.longBitsToDouble(Long.parseLong(f[2]));
      Oracle.assertSameNumbers(
          new double[] {expected}, new double[] {compiled}, graph + " " + f[0]);
    }
  }
}
