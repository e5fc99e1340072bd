package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jitgrad.engine.Value;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles every {@code ```java} block of the README, as the README says: a block of only imports
 * supplies the imports of every block; a block whose first line is {@code // Given: <field
 * declarations>} is a fragment, compiled with those names declared; every other block is complete
 * and also runs.
 */
class ReadmeCodeTest {
  private static final Path README = Path.of("..", "README.md");
  private static final String GIVEN = "// Given:";

  @TempDir static Path classes;

  @TestFactory
  Stream<DynamicTest> readmeJavaBlock_withTheReadmeImports_compilesAndCompleteOnesRun()
      throws IOException {
    assertTrue(Files.isRegularFile(README), "no README at " + README.toAbsolutePath());
    List<Block> blocks = Block.parse(Files.readString(README));

    assertTrue(blocks.stream().anyMatch(Block::isComplete), "no complete Java block in README");
    String imports = Block.imports(blocks);
    return blocks.stream()
        .filter(b -> !b.isImportsOnly())
        .map(
            b ->
                DynamicTest.dynamicTest(
                    "README line " + b.line(), () -> check(b, imports, classes)));
  }

  @Test
  void check_blockNamingAnUndeclaredVariable_failsWithTheReadmeLine(@TempDir Path dir) {
    String readme =
        "text\n\n```java\nimport java.util.List;\n```\n\n```java\nValue v = nope;\n```\n";
    List<Block> blocks = Block.parse(readme);

    AssertionError e =
        assertThrows(AssertionError.class, () -> check(blocks.get(1), Block.imports(blocks), dir));

    assertTrue(e.getMessage().contains("README line 8"), e.getMessage());
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
  }

  @Test
  void check_completeBlockThatThrows_failsWithTheException(@TempDir Path dir) {
    List<Block> blocks = Block.parse("```java\nint n = 0;\nint m = 1 / n;\n```\n");

    assertThrows(ArithmeticException.class, () -> check(blocks.get(0), "", dir));
  }

  @Test
  void check_fragmentThatWouldThrow_compilesWithoutRunning(@TempDir Path dir) {
    List<Block> blocks = Block.parse("```java\n// Given: int n\nint m = 1 / n;\n```\n");

    assertDoesNotThrow(() -> check(blocks.get(0), "", dir));
  }

  @Test
  void parse_fencesWithOtherLanguagesAndAGivenLine_keepsJavaBlocksWithTheirLines() {
    String readme = "a\n```sh\nls\n```\n```java\n// Given: int n\nn++;\n```\n```\nx\n```\n";

    List<Block> blocks = Block.parse(readme);

    assertEquals(1, blocks.size());
    assertEquals(6, blocks.get(0).line());
    assertEquals("int n", blocks.get(0).given());
    assertEquals(List.of("n++;"), blocks.get(0).body());
    assertFalse(blocks.get(0).isComplete());
  }

  /**
   * Compiles {@code block} as one class in {@code dir}; runs it when complete.
   *
   * @throws AssertionError naming the README line of each compiler error
   */
  private static void check(Block block, String imports, Path dir) throws Throwable {
    String className = "ReadmeBlockAtLine" + block.line();
    List<String> source = new ArrayList<>();
    source.addAll(imports.lines().toList());
    source.addAll(block.imports());
    source.add("public class " + className + " {");
    String fields = block.given().isEmpty() ? "" : block.given() + "; ";
    source.add(fields + "public void run() throws Exception {");
    int firstBodyLine = source.size() + 1;
    source.addAll(block.body());
    source.add("}}");
    Path file = dir.resolve(className + ".java");
    Files.write(file, source, StandardCharsets.UTF_8);

    compile(file, dir, block, firstBodyLine);
    if (block.isComplete()) {
      run(className, dir);
    }
  }

  private static void compile(Path file, Path dir, Block block, int firstBodyLine)
      throws IOException, URISyntaxException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    String classPath = location(Value.class) + java.io.File.pathSeparator + location(Jit.class);
    try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, null)) {
      List<String> options =
          List.of("--release", "17", "-proc:none", "-cp", classPath, "-d", dir.toString());
      boolean ok =
          javac
              .getTask(null, files, diagnostics, options, null, files.getJavaFileObjects(file))
              .call();
      if (!ok) {
        String errors =
            diagnostics.getDiagnostics().stream()
                .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                .map(
                    d -> where(block, d.getLineNumber(), firstBodyLine) + d.getMessage(Locale.ROOT))
                .collect(Collectors.joining("\n"));
        fail("a README Java block does not compile:\n" + errors);
      }
    }
  }

  /** The README line of source line {@code line}, or the block for an error in its imports. */
  private static String where(Block block, long line, int firstBodyLine) {
    long fromBody = line - firstBodyLine;
    return fromBody >= (block.isFragment() ? -1 : 0)
        ? "README line " + (block.line() + block.headerLines() + fromBody) + ": "
        : "README block at line " + block.line() + ", in the imports: ";
  }

  private static void run(String className, Path dir) throws Throwable {
    try (URLClassLoader loader =
        new URLClassLoader(
            new URL[] {dir.toUri().toURL()}, ReadmeCodeTest.class.getClassLoader())) {
      Object snippet = loader.loadClass(className).getConstructor().newInstance();
      snippet.getClass().getMethod("run").invoke(snippet);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static String location(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }

  /** One {@code ```java} block: its first line's number in the README, and its parts. */
  record Block(int line, List<String> imports, String given, List<String> body) {
    static List<Block> parse(String markdown) {
      List<Block> blocks = new ArrayList<>();
      String[] lines = markdown.split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        if (lines[i].strip().equals("```java")) {
          int start = i + 1;
          int end = start;
          while (end < lines.length && !lines[end].strip().startsWith("```")) {
            end++;
          }
          blocks.add(of(start + 1, List.of(lines).subList(start, end)));
          i = end;
        }
      }
      return blocks;
    }

    private static Block of(int line, List<String> text) {
      int i = 0;
      List<String> imports = new ArrayList<>();
      while (i < text.size() && (text.get(i).startsWith("import ") || text.get(i).isBlank())) {
        imports.add(text.get(i++));
      }
      String given = "";
      if (i < text.size() && text.get(i).startsWith(GIVEN)) {
        given = text.get(i++).substring(GIVEN.length()).strip();
      }
      return new Block(line, imports, given, List.copyOf(text.subList(i, text.size())));
    }

    /** The imports of every block that holds nothing else, one per line. */
    static String imports(List<Block> blocks) {
      return blocks.stream()
          .filter(Block::isImportsOnly)
          .flatMap(b -> b.imports().stream())
          .collect(Collectors.joining("\n"));
    }

    /** Lines before the body in the README: the block's own imports and its {@code Given} line. */
    int headerLines() {
      return imports.size() + (given.isEmpty() ? 0 : 1);
    }

    boolean isImportsOnly() {
      return body.stream().allMatch(String::isBlank) && given.isEmpty();
    }

    boolean isFragment() {
      return !given.isEmpty();
    }

    boolean isComplete() {
      return !isImportsOnly() && !isFragment();
    }
  }
}
