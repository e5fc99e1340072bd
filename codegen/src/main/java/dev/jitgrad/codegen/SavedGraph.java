package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UTFDataFormatException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes and reads the saved form of a compiled graph ({@link CompiledGraph#writeTo}, {@link
 * CompiledGraph#readFrom}): its optimised programs as data, never as code.
 *
 * <p>A file holds the three programs a compiled graph runs after every pass, so loading runs only
 * layout, emit and load on them: a later jitgrad reproduces the saved arithmetic instead of
 * optimising the graph again, and fresh bytecode is generated from programs that have been checked
 * field by field, so a file cannot bring code of its own into the JVM.
 *
 * <pre>
 * file      := magic version length payload checksum
 *   magic     8 bytes  0x89 'J' 'I' 'T' 'G' 'R' 'A' 'D'
 *   version   int32    1 (a reader refuses a newer version, whose layout after this may differ)
 *   length    int32    bytes in payload, >= 0
 *   payload   length bytes
 *   checksum  int32    CRC32C of every byte before it (magic to payload)
 * payload   := flags inputCount paramCount outputCount codes forward gradient inputGradient
 *   flags     u8       bit 0: compiled in exact mode (shown by toString); other bits 0
 *   counts    int32 each; 0 <= inputCount, paramCount; 1 <= outputCount; each <= maxNodes
 *   codes     u16 n, then n entries: UTF kind name (Kind), and for kind OP a UTF op name (Op);
 *             instructions refer to an entry by its position, so codes are names, not ordinals
 * program   := int32 size, size instructions, int32 sinkCount, sinkCount sinks
 *   instruction := u16 code, then by the entry's kind:
 *     CONST                             float64 k (the value)
 *     INPUT PARAM PARAM_GRAD INPUT_GRAD float64 k (the element index, an integer)
 *     STEP                              int32 arity, arity × int32 operand
 *     OP                                int32 arity, arity × int32 operand, u8 constants
 *                                       (bit 0: float64 k follows, bit 1: float64 k2 follows;
 *                                       an absent constant is 0; other bits 0)
 *   sink        := u8 kind (0 output, 1 paramGrad, 2 inputGrad), int32 index, int32 value
 * </pre>
 *
 * <p>Integers and floats are big-endian ({@link java.io.DataOutput}); UTF is {@link
 * java.io.DataOutput#writeUTF}'s form. Reading checks every field: the magic, version, length and
 * checksum; each count against the bytes left and against {@code maxNodes} (a program over it is
 * refused with a {@link GraphTooLargeException} as the cause); names against this jitgrad's kinds
 * and ops; every rule of {@link Verifier} (operands defined before use, arities as the op table
 * says, integer indices in range, sinks in range and written once, every output written); and which
 * arrays each program may touch (the forward program no gradient array, the gradient program no
 * input gradient); and that a gradient element a program writes is read only where its accumulation
 * chain starts, as the compiler writes it, so compiled code and the interpreter agree. Every
 * allocation grows with the bytes actually read.
 */
final class SavedGraph {
  static final int VERSION = 1;

  private static final byte[] MAGIC = {(byte) 0x89, 'J', 'I', 'T', 'G', 'R', 'A', 'D'};
  private static final int HEADER = MAGIC.length + 8;
  private static final int CHUNK = 1 << 16;

  /** The largest payload a byte array holds with its checksum. */
  private static final int MAX_PAYLOAD = Integer.MAX_VALUE - 16;

  private static final String[] PROGRAMS = {"forward", "gradient", "input-gradient"};
  private static final String[] SINKS = {"output", "paramGrad", "inputGrad"};

  private SavedGraph() {}

  /** A loaded file: its programs and whether they were compiled in exact mode. */
  record Loaded(GraphPrograms.Saved programs, boolean exact) {}

  /** Writes {@code programs} in the format above. */
  static void write(GraphPrograms programs, boolean exact, OutputStream out) throws IOException {
    Program[] all = {programs.forward(), programs.gradient(), programs.inputGradient()};
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream data = new DataOutputStream(bytes);
    data.write(MAGIC);
    data.writeInt(VERSION);
    data.writeInt(0); // the payload length, filled in below
    data.writeByte(exact ? 1 : 0);
    data.writeInt(all[0].inputCount);
    data.writeInt(all[0].paramCount);
    data.writeInt(all[0].outputCount);
    Map<Integer, Integer> codes = new HashMap<>();
    List<String> names = new ArrayList<>();
    for (Program p : all) {
      for (int i = 0; i < p.size; i++) {
        if (codes.putIfAbsent(p.code(i), codes.size()) == null) {
          names.add(p.kind(i).name());
          names.add(p.op(i) == null ? null : p.op(i).name());
        }
      }
    }
    data.writeShort(codes.size());
    for (String name : names) {
      if (name != null) {
        data.writeUTF(name);
      }
    }
    for (Program p : all) {
      writeProgram(p, codes, data);
    }
    data.flush();
    byte[] file = bytes.toByteArray();
    ByteBuffer.wrap(file).putInt(MAGIC.length + 4, file.length - HEADER);
    out.write(file);
    CRC32C crc = new CRC32C();
    crc.update(file);
    out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    out.flush();
  }

  private static void writeProgram(Program p, Map<Integer, Integer> codes, DataOutputStream out)
      throws IOException {
    out.writeInt(p.size);
    for (int i = 0; i < p.size; i++) {
      out.writeShort(codes.get(p.code(i)));
      Kind kind = p.kind(i);
      if (kind.isLeaf()) {
        out.writeDouble(p.k[i]);
        continue;
      }
      out.writeInt(p.arity(i));
      for (int j = 0; j < p.arity(i); j++) {
        out.writeInt(p.operand(i, j));
      }
      if (kind == Kind.OP) {
        boolean k = Double.doubleToRawLongBits(p.k[i]) != 0;
        boolean k2 = Double.doubleToRawLongBits(p.k2(i)) != 0;
        out.writeByte((k ? 1 : 0) | (k2 ? 2 : 0));
        if (k) {
          out.writeDouble(p.k[i]);
        }
        if (k2) {
          out.writeDouble(p.k2(i));
        }
      }
    }
    out.writeInt(p.sinkCount());
    for (int s = 0; s < p.sinkCount(); s++) {
      out.writeByte(p.sinkKind[s]);
      out.writeInt(p.sinkIndex[s]);
      out.writeInt(p.sinkValue[s]);
    }
  }

  /**
   * Reads a file written by {@link #write} and checks every field.
   *
   * @throws IOException saying what is wrong with a damaged, truncated, foreign, newer or invalid
   *     stream, or an over-large program (with a {@link GraphTooLargeException} as its cause)
   */
  static Loaded read(InputStream in, int maxNodes) throws IOException {
    byte[] file = readFully(in, HEADER, "the header");
    if (!Arrays.equals(file, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new IOException("not a saved jitgrad graph: the stream does not start with its magic");
    }
    ByteBuffer header = ByteBuffer.wrap(file);
    int version = header.getInt(MAGIC.length);
    if (version > VERSION) {
      throw new IOException(
          "the graph was saved by a newer jitgrad in format version "
              + version
              + "; this jitgrad reads version "
              + VERSION);
    }
    if (version < 1) {
      throw new IOException("unknown format version " + version + ", expected " + VERSION);
    }
    int length = header.getInt(MAGIC.length + 4);
    if (length < 0 || length > MAX_PAYLOAD) {
      throw new IOException(
          "the payload length is " + length + ", expected one in [0, " + MAX_PAYLOAD + "]");
    }
    byte[] payload = readFully(in, length + 4, "the payload and checksum");
    int stored = ByteBuffer.wrap(payload).getInt(length);
    CRC32C crc = new CRC32C();
    crc.update(file);
    crc.update(payload, 0, length);
    int computed = (int) crc.getValue();
    if (stored != computed) {
      throw new IOException(
          String.format(
              "the file is damaged: its CRC32C checksum is %08x, but its bytes give %08x",
              stored, computed));
    }
    return new Parser(payload, length, maxNodes).parse();
  }

  /**
   * Reads exactly {@code n} bytes in chunks, so a forged length allocates no more than the stream
   * holds.
   */
  private static byte[] readFully(InputStream in, int n, String what) throws IOException {
    byte[] buffer = new byte[Math.min(n, CHUNK)];
    int read = 0;
    while (read < n) {
      if (read == buffer.length) {
        buffer = Arrays.copyOf(buffer, (int) Math.min(n, 2L * buffer.length));
      }
      int r = in.read(buffer, read, buffer.length - read);
      if (r < 0) {
        throw new IOException(
            "the stream ends inside " + what + ", after " + read + " of its " + n + " bytes");
      }
      read += r;
    }
    return buffer;
  }

  /** Reads the payload, saying where it is when something is wrong. */
  private static final class Parser {
    private final DataInputStream in;
    private final ByteArrayInputStream bytes;
    private final int maxNodes;
    private Kind[] kinds;
    private Op[] ops;
    private String where = "the header";

    Parser(byte[] payload, int length, int maxNodes) {
      this.bytes = new ByteArrayInputStream(payload, 0, length);
      this.in = new DataInputStream(bytes);
      this.maxNodes = maxNodes;
    }

    Loaded parse() throws IOException {
      try {
        int flags = in.readUnsignedByte();
        if ((flags & ~1) != 0) {
          throw fail("unknown flags " + flags + ", expected 0 or 1");
        }
        int inputs = count("inputCount", 0);
        int params = count("paramCount", 0);
        int outputs = count("outputCount", 1);
        checkRemaining(outputs, 27, "outputs (each written by a sink in each program)");
        readCodes();
        Program[] programs = new Program[3];
        for (int n = 0; n < 3; n++) {
          programs[n] = program(n, inputs, params, outputs);
        }
        where = "the end of the payload";
        if (bytes.available() > 0) {
          throw fail(bytes.available() + " bytes follow the last program");
        }
        return new Loaded(
            new GraphPrograms.Saved(programs[0], programs[1], programs[2]), flags == 1);
      } catch (EOFException e) {
        throw new IOException("invalid saved graph: the payload ends inside " + where, e);
      } catch (UTFDataFormatException e) {
        throw new IOException("invalid saved graph, in " + where + ": a name is not UTF", e);
      } catch (RuntimeException e) {
        throw new IOException("invalid saved graph, in " + where + ": " + e.getMessage(), e);
      }
    }

    private int count(String name, int min) throws IOException {
      where = name;
      int n = in.readInt();
      if (n < min) {
        throw fail(name + " is " + n + ", expected at least " + min);
      }
      if (n > maxNodes) {
        throw tooLarge("the saved graph's " + name, n);
      }
      return n;
    }

    private void readCodes() throws IOException {
      where = "the code table";
      int n = in.readUnsignedShort();
      kinds = new Kind[n];
      ops = new Op[n];
      for (int c = 0; c < n; c++) {
        where = "code " + c;
        kinds[c] = named(Kind.class, in.readUTF(), "kind");
        if (kinds[c].isStructured()) {
          throw fail("kind " + kinds[c] + " is expanded before programs are saved");
        }
        if (kinds[c] == Kind.OP) {
          ops[c] = named(Op.class, in.readUTF(), "op");
        }
      }
    }

    private <E extends Enum<E>> E named(Class<E> type, String name, String what)
        throws IOException {
      for (E e : type.getEnumConstants()) {
        if (e.name().equals(name)) {
          return e;
        }
      }
      throw fail(
          "unknown "
              + what
              + " '"
              + name
              + "' (this jitgrad knows "
              + List.of(type.getEnumConstants())
              + ")");
    }

    private Program program(int n, int inputs, int params, int outputs) throws IOException {
      String name = "the " + PROGRAMS[n] + " program";
      where = name;
      int size = in.readInt();
      if (size < 0) {
        throw fail("its size is " + size + ", expected at least 0");
      }
      if (size > maxNodes) {
        throw tooLarge(name, size);
      }
      checkRemaining(size, 6, "instructions");
      Program.Builder b = new Program.Builder(inputs, params, outputs);
      for (int i = 0; i < size; i++) {
        where = name + ", instruction %" + i;
        instruction(b);
      }
      where = name + "'s sinks";
      int sinks = in.readInt();
      if (sinks < 0) {
        throw fail("there are " + sinks + " sinks, expected at least 0");
      }
      checkRemaining(sinks, 9, "sinks");
      for (int s = 0; s < sinks; s++) {
        int kind = in.readUnsignedByte();
        int index = in.readInt();
        b.sink(in.readInt(), kind, index);
      }
      Program p = b.build();
      where = name;
      String problem = Verifier.problem(p);
      if (problem == null) {
        problem = arrays(p, n);
      }
      if (problem == null) {
        problem = accumulations(p);
      }
      if (problem != null) {
        throw fail(problem);
      }
      return p;
    }

    private void instruction(Program.Builder b) throws IOException {
      int c = in.readUnsignedShort();
      if (c >= kinds.length) {
        throw fail("code " + c + " is not in the code table of " + kinds.length + " entries");
      }
      Kind kind = kinds[c];
      if (kind.isLeaf()) {
        double k = in.readDouble();
        if (kind == Kind.CONST) {
          b.constant(k);
        } else {
          b.start(kind, k, 0);
        }
        return;
      }
      int arity = in.readInt();
      if (arity < 0) {
        throw fail("it has " + arity + " operands, expected at least 0");
      }
      checkRemaining(arity, 4, "operands");
      int[] operands = new int[arity];
      for (int j = 0; j < arity; j++) {
        operands[j] = in.readInt();
      }
      double k = 0;
      double k2 = 0;
      if (kind == Kind.OP) {
        int constants = in.readUnsignedByte();
        if ((constants & ~3) != 0) {
          throw fail("its constants byte is " + constants + ", expected 0 to 3");
        }
        k = (constants & 1) != 0 ? in.readDouble() : 0;
        k2 = (constants & 2) != 0 ? in.readDouble() : 0;
        b.start(ops[c], k, k2);
      } else {
        b.start(kind, 0, 0);
      }
      for (int o : operands) {
        b.operand(o);
      }
    }

    /** Checks the arrays a program touches: the kernel of each gets only some of them. */
    private static String arrays(Program p, int n) {
      for (int i = 0; i < p.size; i++) {
        Kind kind = p.kind(i);
        if (kind == Kind.INPUT_GRAD && n < 2 || kind == Kind.PARAM_GRAD && n < 1) {
          return "instruction %"
              + i
              + " reads "
              + kind
              + ", which the "
              + PROGRAMS[n]
              + " program has not";
        }
      }
      for (int s = 0; s < p.sinkCount(); s++) {
        int kind = p.sinkKind[s];
        if (kind == Program.INPUT_GRAD && n < 2 || kind == Program.PARAM_GRAD && n < 1) {
          return SINKS[kind]
              + "["
              + p.sinkIndex[s]
              + "] is written, which the "
              + PROGRAMS[n]
              + " program has not";
        }
      }
      return null;
    }

    /**
     * Checks that a gradient element the program writes is read only at the head of its own
     * accumulation chain: from the read to the sink's value, each link has one reader, the next
     * link, and no link belongs to another chain. Compiled code stores a sink's value where it is
     * computed ({@link Layout}), and writes the other sinks after the rest; any other read of the
     * element would see the new value where the interpreter sees the old one.
     */
    private static String accumulations(Program p) {
      int[][] sinkOf = {null, new int[p.paramCount], new int[p.inputCount]};
      Arrays.fill(sinkOf[Program.PARAM_GRAD], -1);
      Arrays.fill(sinkOf[Program.INPUT_GRAD], -1);
      for (int s = 0; s < p.sinkCount(); s++) {
        if (p.sinkKind[s] != Program.OUTPUT) {
          sinkOf[p.sinkKind[s]][p.sinkIndex[s]] = s;
        }
      }
      int[] uses = p.useCounts();
      int[] reader = new int[p.size];
      Arrays.fill(reader, -1);
      for (int i = 0; i < p.size; i++) {
        for (int j = 0; j < p.arity(i); j++) {
          reader[p.operand(i, j)] = i;
        }
      }
      boolean[] linked = new boolean[p.size];
      for (int i = 0; i < p.size; i++) {
        Kind kind = p.kind(i);
        int array = kind == Kind.PARAM_GRAD ? 1 : kind == Kind.INPUT_GRAD ? 2 : 0;
        int s = array == 0 ? -1 : sinkOf[array][p.index(i)];
        if (s < 0) {
          continue;
        }
        for (int link = i; link != p.sinkValue[s]; link = reader[link]) {
          if (linked[link] || uses[link] != 1 || reader[link] < 0) {
            return "instruction %"
                + i
                + " ("
                + p.name(i)
                + ") reads "
                + SINKS[array]
                + "["
                + p.index(i)
                + "] outside the accumulation chain that ends in its sink's value %"
                + p.sinkValue[s];
          }
          linked[link] = true;
        }
      }
      return null;
    }

    /** Checks that {@code n} items of at least {@code bytesEach} bytes fit in what is left. */
    private void checkRemaining(int n, int bytesEach, String what) throws IOException {
      int left = bytes.available();
      if ((long) n * bytesEach > left) {
        throw fail(
            n + " " + what + " declared, but only " + left + " bytes of the payload are left");
      }
    }

    private IOException fail(String problem) {
      return new IOException("invalid saved graph, in " + where + ": " + problem);
    }

    private IOException tooLarge(String what, long size) {
      GraphTooLargeException e = new GraphTooLargeException(what, size, maxNodes);
      return new IOException(e.getMessage(), e);
    }
  }
}
