package dev.jitgrad.codegen;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The other JVM of {@code SavedGraphTest}: loads the graph saved at {@code args[0]} and prints the
 * bits of {@link SavedGraphs#results} at seed {@code args[1]}, one long per line.
 */
final class SavedGraphChild {
  private SavedGraphChild() {}

  public static void main(String[] args) throws IOException {
    CompiledGraph g;
    try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
      g = CompiledGraph.readFrom(in);
    }
    StringBuilder out = new StringBuilder();
    for (double v : SavedGraphs.results(g, Long.parseLong(args[1]))) {
      out.append(Double.doubleToLongBits(v)).append('\n');
    }
    System.out.print(out);
  }
}
