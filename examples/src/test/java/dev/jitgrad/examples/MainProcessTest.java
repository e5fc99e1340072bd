package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the command line in a separate JVM with a small heap, standard error to a pipe (not a
 * terminal), and a time bound: what a user sees from hostile sizes, and what a log receives.
 */
class MainProcessTest {
  /** A hang detector for one JVM run on a loaded 2-core machine, not a speed claim. */
  private static final long TIMEOUT_SECONDS = 120;

  @TempDir Path dir;

  private record Outcome(int exit, String out, String err) {}

  private Outcome fork(List<String> jvmOptions, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    Path out = dir.resolve("stdout.txt");
    Path err = dir.resolve("stderr.txt");
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("no exit within " + TIMEOUT_SECONDS + " s: " + command);
    }
    return new Outcome(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--steps 2147483647",
        "--samples 100000000 --steps 1",
        "--hidden 100000,100000",
        "--hidden 100000,100000 --compare",
        "graph --hidden 100000,100000"
      })
  void main_sizesTheHeapCannotHold_oneLineWithTheEstimateAndExit1(String args) throws Exception {
    List<String> argv = new ArrayList<>(List.of(args.split(" ")));
    argv.addAll(List.of("--out", dir.resolve("out").toString()));

    Outcome o = fork(List.of("-Xmx64m"), argv.toArray(String[]::new));

    assertEquals(Main.FAILURE, o.exit(), o.err());
    assertOneLine(o.err());
    assertTrue(o.err().contains("needs an estimated"), o.err());
    assertTrue(o.err().matches("(?s).*\\([\\d,]+ > [\\d,]+ bytes\\).*"), o.err());
  }

  @Test
  void main_outOfMemoryPastTheEstimate_oneLineAndExit1() throws Exception {
    Outcome o =
        fork(
            List.of("-Xmx48m"),
            "graph",
            "--hidden",
            "300,300",
            "--max-values",
            "1000000000",
            "--out",
            dir.resolve("out").toString());

    assertEquals(Main.FAILURE, o.exit(), o.err());
    assertOneLine(o.err());
    assertTrue(o.err().contains("out of memory"), o.err());
  }

  @Test
  void main_stderrNotATerminal_noProgressBarFrames() throws Exception {
    Outcome o =
        fork(
            List.of(),
            "--steps",
            "30",
            "--samples",
            "20",
            "--hidden",
            "4",
            "--out",
            dir.resolve("out").toString());

    assertEquals(0, o.exit(), o.err());
    assertTrue(o.out().startsWith("compiled: accuracy"), o.out());
    assertEquals("", o.err());
  }

  @Test
  void main_dumpClassesInTwoRuns_secondRunOverwritesNothing() throws Exception {
    Path dump = dir.resolve("dump");
    List<String> options = List.of("-Djitgrad.dumpClasses=" + dump);

    Outcome first = fork(options, "expr");
    long afterFirst = countFiles(dump);
    Outcome second = fork(options, "expr");
    long afterSecond = countFiles(dump);

    assertEquals(0, first.exit(), first.err());
    assertEquals(0, second.exit(), second.err());
    assertTrue(afterFirst > 0, "no class dumped");
    assertEquals(2 * afterFirst, afterSecond);
  }

  private static long countFiles(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.count();
    }
  }

  private static void assertOneLine(String err) {
    assertTrue(err.startsWith("jitgrad: "), err);
    assertEquals(1, err.strip().lines().count(), err);
    assertFalse(err.contains("Exception") || err.contains("Error") || err.contains("\tat "), err);
  }
}
