package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.Value;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Damaged, truncated, foreign and forged streams: each is refused with an {@link IOException}
 * saying what is wrong. Forgeries carry a recomputed checksum, so the validator must refuse them.
 */
class SavedGraphCorruptionTest {
  private static final int HEADER = 16;

  /** {@code y = tanh(x·w) + x·w + relu(w)}: a small real file (every kind of instruction). */
  private static byte[] small() throws IOException {
    Value x = Value.of(0.5, "x");
    Value w = Value.of(-1.5, "w");
    Value y = x.mul(w).tanh().add(x.mul(w)).add(w.relu()).add(w.pow(3));
    return SavedGraphs.bytes(Jit.compile(y, List.of(x), List.of(w)));
  }

  /** Asserts that reading {@code bytes} throws an IOException and returns its message. */
  private static String refused(byte[] bytes, String what) {
    try {
      SavedGraphs.load(bytes, JitOptions.defaults());
    } catch (IOException e) {
      assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), what + ": no message");
      return e.getMessage();
    } catch (RuntimeException | Error e) {
      throw new AssertionError(what + ": threw " + e + " instead of an IOException", e);
    }
    fail(what + ": was accepted");
    return null;
  }

  @Test
  void readFrom_everyTruncation_throwsIOException() throws IOException {
    byte[] file = small();

    for (int n = 0; n < file.length; n++) {
      String message = refused(Arrays.copyOf(file, n), "truncated to " + n);

      assertTrue(message.contains("ends inside") || message.contains("magic"), n + ": " + message);
    }
  }

  @Test
  void readFrom_everySingleBitFlip_throwsIOException() throws IOException {
    byte[] file = small();

    for (int bit = 0; bit < file.length * 8; bit++) {
      byte[] flipped = file.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));

      refused(flipped, "bit " + bit + " flipped");
    }
  }

  @Test
  void readFrom_randomDamageToAnMlpFile_throwsIOException() throws IOException {
    byte[] file = SavedGraphs.bytes(SavedGraphTest.mlpLoss(JitOptions.defaults()));
    SplittableRandom random = new SplittableRandom(1);

    for (int t = 0; t < 2000; t++) {
      byte[] damaged = file.clone();
      int bytes = 1 + random.nextInt(8);
      for (int b = 0; b < bytes; b++) {
        damaged[HEADER + random.nextInt(file.length - HEADER)] ^= (byte) (1 + random.nextInt(255));
      }

      String message = refused(damaged, "damage " + t);

      assertTrue(message.contains("CRC32C"), message);
    }
  }

  @Test
  void readFrom_randomBytes_throwsIOException() {
    SplittableRandom random = new SplittableRandom(2);

    for (int t = 0; t < 1000; t++) {
      byte[] bytes = new byte[random.nextInt(200)];
      random.nextBytes(bytes);
      if (t % 2 == 0 && bytes.length >= 12) { // the right magic and version, random after them
        System.arraycopy(magicAndVersion(), 0, bytes, 0, 12);
      }

      refused(bytes, "random stream " + t);
    }
  }

  @Test
  void readFrom_foreignStream_saysItIsNotASavedGraph() {
    byte[] zip = {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    String message = refused(zip, "a zip file");

    assertTrue(message.startsWith("not a saved jitgrad graph"), message);
  }

  @Test
  void readFrom_newerVersion_saysSo() throws IOException {
    byte[] file = small();
    ByteBuffer.wrap(file).putInt(8, 2);

    String message = refused(SavedGraphs.reseal(file), "version 2");

    assertTrue(message.contains("newer jitgrad in format version 2"), message);
  }

  @Test
  void readFrom_hugeDeclaredLengthWithATinyFile_saysTheStreamEndsOrTheLengthIsTooLarge() {
    byte[] gigabyte = Arrays.copyOf(magicAndVersion(), 40);
    ByteBuffer.wrap(gigabyte).putInt(12, 1 << 30);
    byte[] max = Arrays.copyOf(magicAndVersion(), 40);
    ByteBuffer.wrap(max).putInt(12, Integer.MAX_VALUE);

    String a = refused(gigabyte, "a 1 GB length");
    String b = refused(max, "a 2 GB length");

    assertTrue(a.contains("ends inside the payload and checksum, after 24 of"), a);
    assertTrue(b.contains("the payload length is 2147483647, expected one in [0, "), b);
  }

  // Forgeries: valid checksums over invalid contents, built with Program.Builder (which checks
  // nothing) and written by the real writer, or patched and resealed.

  private static final int X = 0;

  /** Forward {@code output[0] = x·p}, gradient and input gradient alike, then {@code edit}. */
  private static byte[] forged(java.util.function.Consumer<Program.Builder[]> edit)
      throws IOException {
    Program.Builder[] b = new Program.Builder[3];
    for (int n = 0; n < 3; n++) {
      b[n] = new Program.Builder(1, 1, 1);
    }
    edit.accept(b);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SavedGraph.write(new GraphPrograms.Saved(b[0].build(), b[1].build(), b[2].build()), false, out);
    return out.toByteArray();
  }

  /** Appends {@code x·p} written to output 0. */
  private static void product(Program.Builder b) {
    b.sink(xp(b), Program.OUTPUT, 0);
  }

  /** Appends {@code x·p} and returns it. */
  private static int xp(Program.Builder b) {
    return b.binary(Op.MUL, b.leaf(Kind.INPUT, 0), b.leaf(Kind.PARAM, 0));
  }

  private static String forgery(java.util.function.Consumer<Program.Builder[]> edit)
      throws IOException {
    return refused(forged(edit), "forgery");
  }

  @Test
  void readFrom_wellFormedForgery_isAccepted() throws IOException {
    byte[] file = forged(b -> Arrays.stream(b).forEach(SavedGraphCorruptionTest::product));

    CompiledGraph g = SavedGraphs.load(file, JitOptions.defaults());

    assertEquals(-6.0, g.forward(new double[] {2}, new double[] {-3}));
  }

  @Test
  void readFrom_forwardReference_isRefused() throws IOException {
    String message =
        forgery(
            b -> {
              product(b[0]);
              product(b[2]);
              int id = b[1].start(Op.NEG, 0, 0);
              b[1].operand(id + 1);
              b[1].sink(id, Program.OUTPUT, 0);
            });

    assertTrue(
        message.contains("gradient program")
            && message.contains("reads %1, which is not defined before it"),
        message);
  }

  @Test
  void readFrom_wrongArity_isRefused() throws IOException {
    String message =
        forgery(
            b -> {
              product(b[1]);
              product(b[2]);
              int x = b[0].leaf(Kind.INPUT, 0);
              int id = b[0].start(Op.MUL, 0, 0);
              b[0].operand(x);
              b[0].sink(id, Program.OUTPUT, 0);
            });

    assertTrue(message.contains("(MUL) has 1 operands, expected 2"), message);
  }

  @Test
  void readFrom_nanWhereAnIndexBelongs_isRefused() throws IOException {
    String message =
        forgery(
            b -> {
              product(b[1]);
              product(b[2]);
              b[0].sink(b[0].start(Kind.PARAM, Double.NaN, 0), Program.OUTPUT, 0);
            });

    assertTrue(message.contains("(PARAM) reads element NaN, expected an index in [0, 1)"), message);
  }

  @Test
  void readFrom_sinkIndexOutOfRange_isRefused() throws IOException {
    String message =
        forgery(
            b -> {
              product(b[0]);
              product(b[2]);
              product(b[1]);
              b[1].sink(0, Program.PARAM_GRAD, 7);
            });

    assertTrue(message.contains("paramGrad[7] is out of range [0, 1)"), message);
  }

  @Test
  void readFrom_forwardProgramWritingAGradient_isRefused() throws IOException {
    String message =
        forgery(
            b -> {
              Arrays.stream(b).forEach(SavedGraphCorruptionTest::product);
              b[0].sink(1, Program.PARAM_GRAD, 0);
            });

    assertTrue(message.contains("which the forward program has not"), message);
  }

  @Test
  void readFrom_gradientReadAfterItsSinkIsStored_isRefused() throws IOException {
    // paramGrad[0] = -(x·p) is stored where it is computed, then output = x·p + paramGrad[0]
    // would read the new element in compiled code and the old one in the interpreter.
    String message =
        forgery(
            b -> {
              product(b[0]);
              product(b[2]);
              int xp = xp(b[1]);
              b[1].sink(b[1].unary(Op.NEG, xp), Program.PARAM_GRAD, 0);
              int old = b[1].leaf(Kind.PARAM_GRAD, 0);
              b[1].sink(b[1].binary(Op.ADD, xp, old), Program.OUTPUT, 0);
            });

    assertTrue(
        message.contains("gradient program")
            && message.contains("reads paramGrad[0] outside the accumulation chain"),
        message);
  }

  @Test
  void readFrom_gradientReadBySinkOfAnotherElement_isRefused() throws IOException {
    String message =
        forgery(
            b -> {
              product(b[0]);
              product(b[1]);
              int xp = xp(b[2]);
              b[2].sink(xp, Program.OUTPUT, 0);
              b[2].sink(b[2].unary(Op.NEG, xp), Program.PARAM_GRAD, 0);
              b[2].sink(b[2].leaf(Kind.PARAM_GRAD, 0), Program.INPUT_GRAD, 0);
            });

    assertTrue(
        message.contains("input-gradient program")
            && message.contains("reads paramGrad[0] outside the accumulation chain"),
        message);
  }

  @Test
  void readFrom_accumulationChains_areAccepted() throws IOException {
    byte[] file =
        forged(
            b -> {
              product(b[0]);
              product(b[2]);
              int xp = xp(b[1]);
              b[1].sink(xp, Program.OUTPUT, 0);
              int old = b[1].leaf(Kind.PARAM_GRAD, 0);
              b[1].sink(b[1].binary(Op.ADD, old, xp), Program.PARAM_GRAD, 0);
            });
    CompiledGraph g = SavedGraphs.load(file, JitOptions.defaults());
    double[] grad = {0.5};

    double value = g.valueAndGrad(new double[] {2}, new double[] {-3}, grad);

    assertEquals(-6.0, value);
    assertEquals(0.5 + 2 * -3, grad[0]);
  }

  @Test
  void readFrom_gradientProgramReadingAnInputGradient_isRefused() throws IOException {
    String message =
        forgery(
            b -> {
              product(b[0]);
              product(b[2]);
              b[1].sink(b[1].leaf(Kind.INPUT_GRAD, 0), Program.OUTPUT, 0);
            });

    assertTrue(message.contains("reads INPUT_GRAD, which the gradient program has not"), message);
  }

  @Test
  void readFrom_dotInASavedProgram_isRefused() throws IOException {
    String message =
        forgery(
            b -> {
              product(b[0]);
              product(b[2]);
              int x = b[1].leaf(Kind.INPUT, X);
              int dot = b[1].start(Kind.DOT, 0, 1); // x + params[0]·x
              b[1].operand(x);
              b[1].operand(x);
              b[1].sink(dot, Program.OUTPUT, 0);
            });

    assertTrue(message.contains("kind DOT is expanded before programs are saved"), message);
  }

  @Test
  void readFrom_unknownOpName_isRefused() throws IOException {
    byte[] file = forged(b -> Arrays.stream(b).forEach(SavedGraphCorruptionTest::product));
    patch(file, "MUL", "MAD");

    String message = refused(SavedGraphs.reseal(file), "unknown op");

    assertTrue(message.contains("unknown op 'MAD'"), message);
  }

  @Test
  void readFrom_countsNegativeOrHuge_areRefused() throws IOException {
    byte[] file = forged(b -> Arrays.stream(b).forEach(SavedGraphCorruptionTest::product));
    int counts = HEADER + 1; // flags, then inputCount, paramCount, outputCount

    byte[] negative = file.clone();
    ByteBuffer.wrap(negative).putInt(counts + 4, -1);
    byte[] huge = file.clone();
    ByteBuffer.wrap(huge).putInt(counts, Integer.MAX_VALUE);
    byte[] outputs = file.clone();
    ByteBuffer.wrap(outputs).putInt(counts + 8, 1000);

    assertTrue(
        refused(SavedGraphs.reseal(negative), "-1 params").contains("paramCount is -1"),
        "negative");
    IOException e =
        assertThrows(
            IOException.class,
            () -> SavedGraphs.load(SavedGraphs.reseal(huge), JitOptions.defaults()));
    assertInstanceOf(GraphTooLargeException.class, e.getCause());
    assertTrue(
        refused(SavedGraphs.reseal(outputs), "1000 outputs").contains("1000 outputs"), "outputs");
  }

  @Test
  void readFrom_hugeDeclaredCountsInATinyPayload_areRefusedBeforeAllocating() throws IOException {
    byte[] file = forged(b -> Arrays.stream(b).forEach(SavedGraphCorruptionTest::product));
    int size = indexOfProgramSize(file);
    byte[] instructions = file.clone();
    ByteBuffer.wrap(instructions).putInt(size, 100_000_000);
    byte[] arity = file.clone();
    // The forward program: INPUT (2 + 8 bytes), PARAM (2 + 8), then MUL's code and its arity.
    ByteBuffer.wrap(arity).putInt(size + 4 + 20 + 2, Integer.MAX_VALUE);

    String a = refused(SavedGraphs.reseal(instructions), "1e8 instructions");
    String b = refused(SavedGraphs.reseal(arity), "2^31 operands");

    assertTrue(a.contains("100000000 instructions declared, but only"), a);
    assertTrue(b.contains("2147483647 operands declared, but only"), b);
  }

  @Test
  void readFrom_trailingBytesInThePayload_areRefused() throws IOException {
    byte[] file = forged(b -> Arrays.stream(b).forEach(SavedGraphCorruptionTest::product));
    byte[] longer = Arrays.copyOf(file, file.length + 3);
    System.arraycopy(file, file.length - 4, longer, longer.length - 4, 4);

    String message = refused(SavedGraphs.reseal(longer), "3 extra bytes");

    assertTrue(message.contains("3 bytes follow the last program"), message);
  }

  /** Returns the offset of the forward program's size: after the code table. */
  private static int indexOfProgramSize(byte[] file) {
    ByteBuffer b = ByteBuffer.wrap(file);
    int at = HEADER + 1 + 12;
    int codes = b.getShort(at) & 0xffff;
    at += 2;
    for (int c = 0; c < codes; c++) {
      int length = b.getShort(at) & 0xffff;
      String name = new String(file, at + 2, length, StandardCharsets.UTF_8);
      at += 2 + length;
      if (name.equals("OP")) {
        at += 2 + (b.getShort(at) & 0xffff);
      }
    }
    return at;
  }

  private static void patch(byte[] file, String from, String to) {
    byte[] f = from.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i + f.length <= file.length; i++) {
      if (Arrays.equals(file, i, i + f.length, f, 0, f.length)) {
        System.arraycopy(to.getBytes(StandardCharsets.UTF_8), 0, file, i, f.length);
        return;
      }
    }
    throw new AssertionError(from + " is not in the file");
  }

  private static byte[] magicAndVersion() {
    try {
      return Arrays.copyOf(small(), 12);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
