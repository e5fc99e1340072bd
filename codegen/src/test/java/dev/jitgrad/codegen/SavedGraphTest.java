package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.MLP;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SavedGraphTest {
  /** An MLP's squared error against label inputs, with its score as a second output. */
  static CompiledGraph mlpLoss(JitOptions options) {
    MLP mlp = new MLP(new SplittableRandom(5), 3, 8, 2);
    List<Value> x = List.of(Value.of(0), Value.of(0), Value.of(0));
    List<Value> y = List.of(Value.of(0), Value.of(0));
    List<Value> out = mlp.apply(x);
    Value loss = Losses.meanSquaredError(out, y);
    List<Value> inputs = new ArrayList<>(x);
    inputs.addAll(y);
    return Jit.compile(List.of(loss, out.get(0)), inputs, mlp.parameters(), options);
  }

  @Test
  void readFrom_savedMlpLoss_computesTheSavedBits() throws IOException {
    CompiledGraph saved = mlpLoss(JitOptions.defaults());

    CompiledGraph loaded = SavedGraphs.load(SavedGraphs.bytes(saved), JitOptions.defaults());

    Oracle.assertBitIdentical(
        SavedGraphs.results(saved, 11), SavedGraphs.results(loaded, 11), "loaded");
    assertEquals(saved.inputCount(), loaded.inputCount());
    assertEquals(saved.paramCount(), loaded.paramCount());
    assertEquals(saved.outputCount(), loaded.outputCount());
  }

  @Test
  void readFrom_inAnotherJvm_computesTheSavedBits(@TempDir Path dir) throws Exception {
    CompiledGraph saved = mlpLoss(JitOptions.defaults());
    Path file = dir.resolve("graph.jitgrad");
    Files.write(file, SavedGraphs.bytes(saved));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SavedGraphChild.class.getName(),
                file.toString(),
                "11")
            .redirectError(ProcessBuilder.Redirect.INHERIT);

    Process process = child.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    boolean done = process.waitFor(120, TimeUnit.SECONDS);

    assertTrue(done, "the child JVM finished within 120 s");
    assertEquals(0, process.exitValue(), "the child JVM's exit code");
    double[] expected = SavedGraphs.results(saved, 11);
    double[] actual =
        Stream.of(out.split("\n"))
            .mapToDouble(line -> Double.longBitsToDouble(Long.parseLong(line)))
            .toArray();
    assertEquals(expected.length, actual.length);
    Oracle.assertBitIdentical(expected, actual, "the child JVM");
  }

  @Test
  void readFrom_exactGraph_keepsTheSavedModeWhateverTheOptionsSay() throws IOException {
    byte[] exact = SavedGraphs.bytes(mlpLoss(JitOptions.defaults().withExact(true)));
    byte[] fast = SavedGraphs.bytes(mlpLoss(JitOptions.defaults()));

    CompiledGraph a = SavedGraphs.load(exact, JitOptions.defaults().withExact(false));
    CompiledGraph b = SavedGraphs.load(fast, JitOptions.defaults().withExact(true));

    assertTrue(a.toString().contains(", exact; loaded forward program"), a.toString());
    assertFalse(b.toString().contains("exact"), b.toString());
  }

  @Test
  void readFrom_programOverMaxNodes_throwsIOExceptionCausedByGraphTooLarge() throws IOException {
    CompiledGraph saved = mlpLoss(JitOptions.defaults());
    byte[] bytes = SavedGraphs.bytes(saved);
    int forwardSize = saved.ir().split("\ngradient:")[0].split("\n%").length - 1;

    IOException e =
        assertThrows(
            IOException.class,
            () -> SavedGraphs.load(bytes, JitOptions.defaults().withMaxNodes(forwardSize - 1)));

    GraphTooLargeException cause = assertInstanceOf(GraphTooLargeException.class, e.getCause());
    assertEquals(forwardSize, cause.size());
    assertEquals(forwardSize - 1, cause.limit());
    assertTrue(e.getMessage().contains("the forward program has " + forwardSize), e.getMessage());
  }

  @Test
  void readFrom_dumpDirectory_writesTheGeneratedClasses(@TempDir Path dir) throws IOException {
    byte[] bytes = SavedGraphs.bytes(mlpLoss(JitOptions.defaults()));

    CompiledGraph loaded = SavedGraphs.load(bytes, JitOptions.defaults().withDumpDirectory(dir));

    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(loaded.classBytes().size(), files.count());
    }
  }

  @Test
  void readFrom_twoGraphsInOneStream_readsEachAndStopsAfterIt() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CompiledGraph first = mlpLoss(JitOptions.defaults());
    CompiledGraph second = mlpLoss(JitOptions.defaults().withExact(true));
    first.writeTo(out);
    second.writeTo(out);
    out.write(42);
    InputStream in = new ByteArrayInputStream(out.toByteArray());

    CompiledGraph a = CompiledGraph.readFrom(in);
    CompiledGraph b = CompiledGraph.readFrom(in);

    Oracle.assertBitIdentical(SavedGraphs.results(first, 3), SavedGraphs.results(a, 3), "first");
    Oracle.assertBitIdentical(SavedGraphs.results(second, 3), SavedGraphs.results(b, 3), "second");
    assertEquals(42, in.read());
  }

  @Test
  void serialization_roundTrip_computesTheSavedBits() throws Exception {
    CompiledGraph saved = mlpLoss(JitOptions.defaults());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(saved);
    }

    Object read;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      read = in.readObject();
    }

    CompiledGraph loaded = assertInstanceOf(CompiledGraph.class, read);
    Oracle.assertBitIdentical(
        SavedGraphs.results(saved, 5), SavedGraphs.results(loaded, 5), "deserialized");
    assertArrayEquals(SavedGraphs.bytes(saved), SavedGraphs.bytes(loaded));
  }

  @Test
  void readObject_withoutTheProxy_throwsInvalidObjectException() throws Exception {
    Method readObject =
        CompiledGraph.class.getDeclaredMethod("readObject", ObjectInputStream.class);
    readObject.setAccessible(true);

    InvocationTargetException e =
        assertThrows(
            InvocationTargetException.class,
            () -> readObject.invoke(mlpLoss(JitOptions.defaults()), (Object) null));

    assertInstanceOf(InvalidObjectException.class, e.getCause());
    assertTrue(e.getCause().getMessage().startsWith("use the proxy"));
  }

  @Test
  void readFromAndWriteTo_null_throwNullPointerExceptionNamingTheArgument() {
    CompiledGraph g = mlpLoss(JitOptions.defaults());

    NullPointerException in =
        assertThrows(NullPointerException.class, () -> CompiledGraph.readFrom(null));
    NullPointerException options =
        assertThrows(
            NullPointerException.class,
            () -> CompiledGraph.readFrom(new ByteArrayInputStream(new byte[0]), null));
    NullPointerException out = assertThrows(NullPointerException.class, () -> g.writeTo(null));

    assertEquals("in", in.getMessage());
    assertEquals("options", options.getMessage());
    assertEquals("out", out.getMessage());
  }
}
