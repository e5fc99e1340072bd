package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jitgrad on the module path, as a modular application uses it: a module that requires only {@code
 * dev.jitgrad.codegen} compiles and runs a graph without {@code --add-modules}, and cannot see the
 * engine's internal package.
 */
class ModulePathTest {
  private static final String MAIN =
      """
      package demo;

      import dev.jitgrad.codegen.CompiledGraph;
      import dev.jitgrad.codegen.Jit;
      import dev.jitgrad.engine.Value;
      import java.util.List;

      public class Main {
        public static void main(String[] args) {
          Value x = Value.of(0.5, "x"), w = Value.of(2.0, "w");
          Value y = x.mul(w).tanh().add(x.mul(w).max(0.25));
          CompiledGraph g = Jit.compile(y, List.of(x), List.of(w));
          double[] grad = new double[1];
          double value = g.valueAndGrad(new double[] {0.5}, new double[] {2.0}, grad);
          System.out.println(value + " " + grad[0] + " " + g.bytecode().contains("DMUL"));
        }
      }
      """;

  @Test
  void jitCompile_onTheModulePath_runsWithoutAddModules(@TempDir Path dir) throws Exception {
    Path classes = compile(dir, "module demo { requires dev.jitgrad.codegen; }", MAIN);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String modulePath = classes + File.pathSeparator + jitgradModulePath();

    Process p =
        new ProcessBuilder(java, "--module-path", modulePath, "-m", "demo/demo.Main")
            .redirectErrorStream(true)
            .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the modular run did not finish in 60 s");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();

    double t = Math.tanh(1.0);
    assertEquals(0, p.exitValue(), out);
    assertEquals((t + 1.0) + " " + (0.5 * (1 - t * t) + 0.5) + " true", out);
  }

  @Test
  void internalPackage_fromAnotherModule_isNotVisible(@TempDir Path dir) throws Exception {
    String source =
        "package demo; public class Main { double x = dev.jitgrad.engine.internal.Scalar.relu(1); }";

    StringWriter errors = new StringWriter();
    boolean compiled =
        compileInto(dir, "module demo { requires dev.jitgrad.codegen; }", source, errors) != null;

    assertFalse(compiled, "a module outside jitgrad compiled against the internal package");
    assertTrue(errors.toString().contains("is not visible"), errors.toString());
  }

  private static Path compile(Path dir, String moduleInfo, String main) throws Exception {
    StringWriter errors = new StringWriter();
    Path out = compileInto(dir, moduleInfo, main, errors);
    assertTrue(out != null, "the demo module did not compile:\n" + errors);
    return out;
  }

  /** Compiles a module {@code demo}; returns its classes, or null (errors in {@code errors}). */
  private static Path compileInto(Path dir, String moduleInfo, String main, StringWriter errors)
      throws Exception {
    Path src = Files.createDirectories(dir.resolve("src/demo"));
    Files.writeString(dir.resolve("src/module-info.java"), moduleInfo);
    Files.writeString(src.resolve("Main.java"), main);
    Path out = dir.resolve("classes");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    List<String> args =
        new ArrayList<>(
            List.of(
                "--release",
                "17",
                "--module-path",
                jitgradModulePath(),
                "-d",
                out.toString(),
                dir.resolve("src/module-info.java").toString(),
                src.resolve("Main.java").toString()));
    ByteArrayOutputStream messages = new ByteArrayOutputStream();
    int status = javac.run(null, messages, messages, args.toArray(new String[0]));
    errors.write(messages.toString(StandardCharsets.UTF_8));
    return status == 0 ? out : null;
  }

  /** The engine, codegen and ASM entries of the test class path: jars, or classes directories. */
  private static String jitgradModulePath() {
    return List.of(System.getProperty("java.class.path").split(File.pathSeparator)).stream()
        .filter(
            e ->
                e.contains("jitgrad-engine")
                    || e.contains("jitgrad-codegen")
                    || e.replace('\\', '/').matches(".*/(engine|codegen)/target/classes/?")
                    || e.replace('\\', '/').matches(".*/org/ow2/asm/.*\\.jar"))
        .filter(e -> !e.endsWith("-tests.jar") && !e.contains("test-classes"))
        .collect(Collectors.joining(File.pathSeparator));
  }
}
