package dev.jitgrad.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/** Draws a graph the way micrograd's {@code draw_dot} does: Graphviz DOT, and SVG or PNG. */
public final class GraphViz {
  /** The longest label drawn: longer ones are cut, since dot rejects strings over 16,384 bytes. */
  static final int MAX_LABEL = 1000;

  /** How long {@link #render} lets {@code dot} run before it gives up: minutes for huge graphs. */
  static final Duration DOT_TIMEOUT = Duration.ofMinutes(5);

  private GraphViz() {}

  /**
   * Returns the graph of {@code root} in DOT: a record per value (label, data, grad), an op node
   * per operation, laid out left to right. Labels are drawn as written, except that control
   * characters show as a backslash, {@code u} and four hex digits, and labels over 1,000 characters
   * are cut, so any label gives valid DOT.
   */
  public static String toDot(Value root) {
    List<Value> order = Graph.topologicalOrder(root);
    Map<Value, Integer> ids = new IdentityHashMap<>();
    StringBuilder dot = new StringBuilder("digraph jitgrad {\n  rankdir=LR;\n");
    for (Value v : order) {
      int id = ids.size();
      ids.put(v, id);
      dot.append(
          String.format(
              Locale.ROOT,
              "  v%d [shape=record, label=\"{ %s | data %.4f | grad %.4f }\"];%n",
              id,
              escape(v.label()),
              v.data(),
              v.grad()));
      if (!v.isLeaf()) {
        dot.append(
            String.format(
                Locale.ROOT, "  op%d [label=\"%s\"];%n  op%d -> v%d;%n", id, symbol(v), id, id));
        for (int i = 0; i < v.childCount(); i++) {
          dot.append(String.format(Locale.ROOT, "  v%d -> op%d;%n", ids.get(v.child(i)), id));
        }
      }
    }
    return dot.append("}\n").toString();
  }

  /** Returns whether Graphviz's {@code dot} command can be run. */
  public static boolean isDotAvailable() {
    try {
      Process p = new ProcessBuilder("dot", "-V").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Renders the graph of {@code root} with Graphviz's {@code dot} into {@code file}, whose name
   * ends in {@code .svg} or {@code .png}.
   *
   * @throws IllegalArgumentException if the path has no file name or the name ends in neither
   * @throws IllegalStateException if {@code dot} is not on the PATH, fails, or runs for more than
   *     five minutes (it is then killed)
   */
  public static void render(Value root, Path file) {
    List<String> command = command(file);
    run(command, toDot(root), DOT_TIMEOUT, file);
  }

  /**
   * Runs {@code command} with the DOT text in a file given as its last argument, and its output in
   * another, so no pipe can fill and stall it; a command still running after {@code timeout} is
   * killed.
   */
  static void run(List<String> command, String dot, Duration timeout, Path file) {
    Path input = null;
    Path log = null;
    Process p = null;
    try {
      input = Files.createTempFile("jitgrad-", ".dot");
      log = Files.createTempFile("jitgrad-", ".log");
      Files.writeString(input, dot, StandardCharsets.UTF_8);
      List<String> withInput = new ArrayList<>(command);
      withInput.add(input.toString());
      try {
        p =
            new ProcessBuilder(withInput)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
      } catch (IOException e) {
        throw new IllegalStateException(
            "Graphviz's 'dot' is not on the PATH (install the graphviz package); "
                + "GraphViz.toDot gives the DOT text without it",
            e);
      }
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(
            "dot did not finish rendering " + file + " within " + timeout.toSeconds() + " s");
      }
      if (p.exitValue() != 0) {
        String output = Files.readString(log, StandardCharsets.UTF_8);
        throw new IllegalStateException("dot exited with " + p.exitValue() + ": " + output.strip());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not run dot for " + file, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while rendering " + file, e);
    } finally {
      if (p != null) {
        p.destroyForcibly();
      }
      deleteQuietly(input);
      deleteQuietly(log);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // a temporary file left behind is harmless
      }
    }
  }

  /**
   * Returns the {@code dot} command line that renders into {@code file}: the output path is one
   * absolute argument, so no file name is read as an option.
   */
  static List<String> command(Path file) {
    Objects.requireNonNull(file, "file");
    Path fileName = file.getFileName();
    if (fileName == null) {
      throw new IllegalArgumentException(
          "file must name a .svg or .png file, got " + file + ", which has no file name");
    }
    String name = fileName.toString().toLowerCase(Locale.ROOT);
    String format = name.endsWith(".svg") ? "svg" : name.endsWith(".png") ? "png" : null;
    if (format == null) {
      throw new IllegalArgumentException("file must end in .svg or .png, got " + file);
    }
    return List.of("dot", "-T" + format, "-o" + file.toAbsolutePath());
  }

  private static String symbol(Value v) {
    switch (v.op()) {
      case ADD:
      case SUM:
        return "+";
      case SUB:
        return "-";
      case MUL:
        return "*";
      case DIV:
        return "/";
      case POW:
        return "**" + v.exponent();
      case CLAMP:
        return "clamp[" + v.constant(0) + ", " + v.constant(1) + "]";
      case NEG:
        return "neg";
      default:
        return v.op().name().toLowerCase(Locale.ROOT);
    }
  }

  /** Returns {@code label} as text inside a quoted DOT record label. */
  static String escape(String label) {
    String shown = label.length() > MAX_LABEL ? label.substring(0, MAX_LABEL) + "..." : label;
    StringBuilder out = new StringBuilder(shown.length());
    for (char c : shown.toCharArray()) {
      if (Character.isISOControl(c)) {
        out.append(String.format(Locale.ROOT, "\\\\u%04x", (int) c));
      } else {
        if ("\\\"{}|<>".indexOf(c) >= 0) {
          out.append('\\');
        }
        out.append(c);
      }
    }
    return out.toString();
  }
}
