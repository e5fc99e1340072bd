package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * Hostile command lines and environments for the {@code jitgrad} command: every failure is one line
 * on standard error that names what is wrong, with exit 2 for a bad command line and 1 for failed
 * work (the README's contract), and never a stack trace or an exception's class name.
 */
class CliAdversarialTest {
  /** A hang detector for the one forked JVM on a loaded 2-core machine, not a speed claim. */
  private static final long TIMEOUT_SECONDS = 120;

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    return commandLine.execute(args);
  }

  /**
   * Puts {@code --out DIR} first, after the subcommand if there is one, so nothing lands in ./out.
   */
  private String[] intoTempDir(String... args) {
    List<String> argv = new ArrayList<>(Arrays.asList(args));
    if (!argv.isEmpty() && argv.get(0).equals("expr")) {
      return args;
    }
    int at = !argv.isEmpty() && List.of("graph", "digits").contains(argv.get(0)) ? 1 : 0;
    argv.addAll(at, List.of("--out", dir.toString()));
    return argv.toArray(String[]::new);
  }

  static Stream<Arguments> malformedCommandLines() {
    return Stream.of(
        Arguments.of(new String[] {"--steps", "abc"}, "'abc'"),
        Arguments.of(new String[] {"--steps", ""}, "''"),
        Arguments.of(new String[] {"--steps", "2147483648"}, "2147483648"),
        Arguments.of(new String[] {"--steps", "1.5"}, "1.5"),
        Arguments.of(new String[] {"--steps", "-2147483648"}, "-2147483648"),
        Arguments.of(new String[] {"--samples", "-1"}, "-1"),
        Arguments.of(new String[] {"--samples", "NaN"}, "NaN"),
        Arguments.of(new String[] {"--samples", "Infinity"}, "Infinity"),
        Arguments.of(new String[] {"--seed", "99999999999999999999"}, "99999999999999999999"),
        Arguments.of(new String[] {"--seed", "1e3"}, "1e3"),
        Arguments.of(new String[] {"--hidden", "16,,16"}, "--hidden"),
        Arguments.of(new String[] {"--hidden", "2147483648"}, "2147483648"),
        Arguments.of(new String[] {"--hidden", "4", "--hidden", "-4"}, "-4"),
        Arguments.of(new String[] {"--engine", ""}, "''"),
        Arguments.of(new String[] {"--engine", "compiled "}, "'compiled '"),
        Arguments.of(new String[] {"--steps", "5", "--steps", "6"}, "--steps"),
        Arguments.of(new String[] {"--quiet", "--quiet"}, "--quiet"),
        Arguments.of(new String[] {"--steps"}, "--steps"),
        Arguments.of(new String[] {"-x"}, "-x"),
        Arguments.of(new String[] {"foo"}, "'foo'"),
        Arguments.of(new String[] {"graph", "--max-values", "abc"}, "'abc'"),
        Arguments.of(new String[] {"graph", "--max-values", "1e9"}, "'1e9'"),
        Arguments.of(new String[] {"graph", "--seed", "x"}, "'x'"),
        Arguments.of(new String[] {"graph", "extra"}, "'extra'"),
        Arguments.of(new String[] {"graph", "--steps", "3"}, "--steps"),
        Arguments.of(new String[] {"expr", "--bogus"}, "--bogus"),
        Arguments.of(new String[] {"expr", "(1+2"}, "'(1+2'"),
        Arguments.of(new String[] {"expr", "--out", "x"}, "--out"),
        Arguments.of(new String[] {"digits", "--epochs", "-1"}, "-1"),
        Arguments.of(new String[] {"digits", "--epochs", "abc"}, "'abc'"),
        Arguments.of(new String[] {"digits", "--epochs", "99999999999"}, "99999999999"),
        Arguments.of(new String[] {"digits", "--seed", "x"}, "'x'"),
        Arguments.of(new String[] {"digits", "--compare", "--compare"}, "--compare"),
        Arguments.of(new String[] {"digits", "--data"}, "--data"),
        Arguments.of(new String[] {"digits", "--engine", "interpreter"}, "--engine"),
        Arguments.of(new String[] {"digits", "graph"}, "'graph'"));
  }

  @ParameterizedTest
  @MethodSource("malformedCommandLines")
  void run_malformedCommandLine_oneUsageLineNamingItAndExit2(String[] args, String named) {
    String[] argv = intoTempDir(args);

    int exit = run(argv);

    assertEquals(Main.USAGE, exit, err.toString());
    assertOneLineError(named);
    assertTrue(err.toString().strip().endsWith("(see --help)"), err.toString());
    assertEquals("", out.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--help --bogus", "--bogus --help", "--steps -1 --help"})
  void run_helpBesideABadOption_printsTheUsageAndExits0(String args) {
    String[] argv = intoTempDir(args.split(" "));

    int exit = run(argv);

    assertEquals(0, exit, err.toString());
    assertEquals("", err.toString());
    assertTrue(out.toString().startsWith("Usage: jitgrad"), out.toString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--hidden 2147483647",
        "--hidden 1000000000,1000000000",
        "--samples 2147483647 --engine interpreter",
        "--samples 2147483647 --compare",
        "graph --hidden 2147483647"
      })
  void run_sizesPastAnyHeap_refusedUpFrontWithTheEstimateAndExit1(String args) {
    String[] argv = intoTempDir(args.split(" "));

    int exit = run(argv);

    assertEquals(Main.FAILURE, exit, err.toString());
    assertOneLineError("needs an estimated");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--hidden 2147483647,2147483647,2147483647",
        "graph --hidden 2147483647,2147483647,2147483647"
      })
  void run_parameterCountPastLongRange_refusedUpFrontWithTheEstimate(String args) {
    String[] argv = intoTempDir(args.split(" "));

    int exit = run(argv);

    assertEquals(Main.FAILURE, exit, err.toString());
    assertOneLineError("needs an estimated");
  }

  @Test
  void run_digitsEpochsPastTheSchedule_oneLineNamingTheEpochsAndExit1() {
    int exit = run(intoTempDir("digits", "--epochs", "2147483647", "--quiet"));

    assertEquals(Main.FAILURE, exit, err.toString());
    assertOneLineError("2,147,483,647 epochs");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "graph", "digits"})
  void run_outputFolderUnderAFile_oneLineNamingThePathWithoutAnExceptionName(String command)
      throws IOException {
    Path file = Files.writeString(dir.resolve("plain"), "a file, not a folder");
    Path folder = file.resolve("sub");
    List<String> argv = new ArrayList<>();
    if (!command.isEmpty()) {
      argv.add(command);
    }
    argv.addAll(List.of("--out", folder.toString(), "--quiet"));
    if (command.equals("graph")) {
      argv.remove("--quiet");
    }

    int exit = run(argv.toArray(String[]::new));

    assertEquals(Main.USAGE, exit, err.toString());
    assertOneLineError(folder.toString());
  }

  @Test
  void run_outputFolderNameTooLong_oneLineNamingThePathWithoutAnExceptionName() {
    Path folder = dir.resolve("x".repeat(300));

    int exit = run("--out", folder.toString(), "--quiet", "--steps", "1");

    assertEquals(Main.USAGE, exit, err.toString());
    assertOneLineError(folder.toString());
  }

  @Test
  void run_outputFolderWithMissingParents_createsThemAndExits0() {
    Path folder = dir.resolve("a").resolve("b").resolve("c");

    int exit =
        run(
            "--out",
            folder.toString(),
            "--quiet",
            "--steps",
            "1",
            "--samples",
            "4",
            "--hidden",
            "2");

    assertEquals(0, exit, err.toString());
    assertEquals("", err.toString());
    assertTrue(Files.isRegularFile(folder.resolve("decision-boundary.png")));
  }

  @Test
  void run_plotTargetIsAFolder_oneLineNamingItAndExit1() throws IOException {
    Files.createDirectories(dir.resolve("decision-boundary.png").resolve("keep"));

    int exit =
        run("--out", dir.toString(), "--quiet", "--steps", "1", "--samples", "4", "--hidden", "2");

    assertEquals(Main.FAILURE, exit, err.toString());
    assertOneLineError("decision-boundary.png");
  }

  @Test
  void run_digitsPlotTargetIsAFolder_oneLineNamingItAndExit1() throws IOException {
    Files.createDirectories(dir.resolve("digits-confusion.png").resolve("keep"));

    int exit = run("digits", "--out", dir.toString(), "--quiet", "--epochs", "1");

    assertEquals(Main.FAILURE, exit, err.toString());
    assertOneLineError("digits-confusion.png");
  }

  @Test
  void run_graphTargetIsAFolder_oneLineNamingItAndExit1() throws IOException {
    Files.createDirectories(dir.resolve("loss.dot").resolve("keep"));

    int exit = run("graph", "--out", dir.toString(), "--hidden", "2");

    assertEquals(Main.FAILURE, exit, err.toString());
    assertOneLineError("loss.dot");
  }

  @Test
  void run_graphNegativeMaxValues_usageLineAndExit2() {
    int exit = run("graph", "--out", dir.toString(), "--hidden", "2", "--max-values", "-1");

    assertEquals(Main.USAGE, exit, err.toString());
    assertOneLineError("-1");
  }

  @Test
  void run_veryDeepModel_bothEnginesTrainWithoutStackOverflow() {
    String hidden = String.join(",", Collections.nCopies(3_000, "1"));

    int exit =
        run(
            "--out",
            dir.toString(),
            "--quiet",
            "--compare",
            "--hidden",
            hidden,
            "--steps",
            "1",
            "--samples",
            "2");

    assertEquals(0, exit, err.toString());
    assertEquals("", err.toString());
    assertTrue(out.toString().contains("largest parameter difference"), out.toString());
  }

  @Test
  void run_graphOfAVeryDeepModel_refusedWithTheCountAndExit1() {
    String hidden = String.join(",", Collections.nCopies(30_000, "1"));

    int exit = run("graph", "--out", dir.toString(), "--hidden", hidden);

    assertEquals(Main.FAILURE, exit, err.toString());
    assertOneLineError("--max-values 5,000");
    assertFalse(Files.exists(dir.resolve("loss.dot")));
  }

  static Stream<Arguments> badDataFiles() throws IOException {
    String row = String.join(",", Collections.nCopies(Digits.PIXELS, "0"));
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      many.append(row).append(',').append(i % 10).append('\n');
    }
    byte[] gzipped = gzip(many.toString().getBytes(StandardCharsets.UTF_8));
    StringBuilder tenDigits = new StringBuilder();
    for (int digit = 0; digit < 10; digit++) {
      tenDigits.append(row).append(',').append(digit).append('\n');
    }
    String zeros = String.join(",", Collections.nCopies(Digits.PIXELS - 1, "0"));
    return Stream.of(
        Arguments.of("garbage.csv.gz", "not gzip".getBytes(StandardCharsets.US_ASCII), "GZIP"),
        Arguments.of("cut.csv.gz", Arrays.copyOf(gzipped, gzipped.length / 2), "cut.csv.gz"),
        Arguments.of("blank.csv", "\n  \n\t\n".getBytes(StandardCharsets.US_ASCII), "no digits"),
        Arguments.of("ten.csv", bytes(tenDigits), "too few"),
        Arguments.of("nan.csv", bytes("NaN," + zeros + ",3\n"), "NaN"),
        Arguments.of("huge.csv", bytes("1e400," + zeros + ",3\n"), "1e400"),
        Arguments.of("minus.csv", bytes(row + ",-1\n"), "-1"),
        Arguments.of("bytes.csv", new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, '\n'}, "line 1"));
  }

  @ParameterizedTest
  @MethodSource("badDataFiles")
  void run_digitsBadDataFile_oneLineNamingTheFileAndExit1(String name, byte[] content, String what)
      throws IOException {
    Path file = Files.write(dir.resolve(name), content);

    int exit = run("digits", "--data", file.toString(), "--quiet", "--out", dir.toString());

    assertEquals(Main.FAILURE, exit, err.toString());
    assertOneLineError(file.toString(), what);
  }

  @Test
  void run_digitsDataIsAFolder_oneLineNamingItAndExit1() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("data.csv"));

    int exit = run("digits", "--data", folder.toString(), "--quiet", "--out", dir.toString());

    assertEquals(Main.FAILURE, exit, err.toString());
    assertOneLineError(folder.toString());
  }

  @Test
  void run_digitsEmptyGzipFile_oneLineSayingWhatIsWrong() throws IOException {
    Path file = Files.write(dir.resolve("empty.csv.gz"), new byte[0]);

    int exit = run("digits", "--data", file.toString(), "--quiet", "--out", dir.toString());

    assertEquals(Main.FAILURE, exit, err.toString());
    assertOneLineError(file.toString());
    assertFalse(err.toString().contains("null"), err.toString());
  }

  @Test
  void main_stdoutClosedByTheReader_noStackTraceAndExitMatchesStderr() throws Exception {
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "expr");
    Path stderr = dir.resolve("stderr.txt");
    Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    p.getInputStream().close();

    boolean exited = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly().waitFor();
    }

    assertTrue(exited, "no exit within " + TIMEOUT_SECONDS + " s");
    String message = Files.readString(stderr, StandardCharsets.UTF_8);
    assertFalse(message.contains("Exception") || message.contains("\tat "), message);
    if (p.exitValue() == 0) {
      assertEquals("", message);
    } else {
      assertEquals(1, message.strip().lines().count(), message);
    }
  }

  private static byte[] bytes(CharSequence text) {
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (OutputStream zip = new GZIPOutputStream(buffer)) {
      zip.write(data);
    }
    return buffer.toByteArray();
  }

  private void assertOneLineError(String... named) {
    String message = err.toString();
    assertTrue(message.startsWith("jitgrad: "), message);
    assertEquals(1, message.strip().lines().count(), message);
    assertFalse(message.contains("Exception") || message.contains("Error"), message);
    assertFalse(message.contains("\tat ") || message.contains("at dev."), message);
    for (String fragment : named) {
      assertTrue(message.contains(fragment), message + " should name " + fragment);
    }
  }
}
