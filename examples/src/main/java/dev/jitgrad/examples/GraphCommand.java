package dev.jitgrad.examples;

import dev.jitgrad.engine.Graph;
import dev.jitgrad.engine.GraphViz;
import dev.jitgrad.nn.Dataset;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Writes the graph of one sample's loss, like micrograd's {@code draw_dot}. */
@Command(
    name = "graph",
    mixinStandardHelpOptions = true,
    description =
        "Writes the graph of the first sample's loss through the untrained model to DIR/loss.dot,"
            + " and DIR/loss.svg when Graphviz's dot is installed.")
final class GraphCommand implements Callable<Integer> {
  /**
   * The default largest graph drawn: the demo's model has 714 values; dot lays out 2,500 (--hidden
   * 32,32) in about 13 s and had not finished 9,000 (--hidden 64,64) after 5 minutes.
   */
  static final int MAX_VALUES = 5_000;

  /** The DOT text per value, about: 108 bytes for the demo's model, 128 for --hidden 1000,1000. */
  static final long DOT_BYTES_PER_VALUE = 128;

  @Spec CommandSpec spec;

  @Mixin ModelOptions model;

  @Option(
      names = "--max-values",
      paramLabel = "N",
      defaultValue = "" + MAX_VALUES,
      description =
          "Refuse graphs of more values than this; dot takes minutes on a few thousand (default:"
              + " ${DEFAULT-VALUE}).")
  int maxValues;

  @Override
  public Integer call() throws Exception {
    if (maxValues <= 0) {
      throw new ParameterException(
          spec.commandLine(), "--max-values must be positive, got " + maxValues);
    }
    Settings settings = model.settings(spec.commandLine(), 100, 1);
    Path out = model.outputFolder(spec.commandLine());
    Footprint.check(
        Footprint.graph(settings),
        String.format(
            Locale.ROOT,
            "building the graph of %,d parameters",
            Footprint.parameters(settings.layerSizes())));
    Network network = Trainer.network(settings);
    int values = Graph.topologicalOrder(network.sampleLoss).size();
    if (values > maxValues) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "the loss graph has %,d values, more than --max-values %,d: its DOT would be about"
                  + " %s and dot would run for a long time; nothing written",
              values,
              maxValues,
              Footprint.bytes(values * DOT_BYTES_PER_VALUE)));
    }
    Dataset data = Trainer.data(settings);
    network.x0.setData(data.features()[0][0]);
    network.x1.setData(data.features()[0][1]);
    network.y.setData(data.labels()[0][0]);
    network.sampleLoss.forward();
    network.sampleLoss.backward();

    PrintWriter stdout = spec.commandLine().getOut();
    Path dot = out.resolve("loss.dot");
    Files.writeString(dot, GraphViz.toDot(network.sampleLoss));
    stdout.println("wrote " + dot);
    if (GraphViz.isDotAvailable()) {
      Path svg = out.resolve("loss.svg");
      GraphViz.render(network.sampleLoss, svg);
      stdout.println("wrote " + svg);
    } else {
      stdout.println("Graphviz's dot is not installed: no SVG");
    }
    return 0;
  }
}
