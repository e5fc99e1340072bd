package dev.jitgrad.examples;

import dev.jitgrad.engine.GraphViz;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Writes the graph of one sample's loss, like micrograd's {@code draw_dot}. */
@Command(
    name = "graph",
    mixinStandardHelpOptions = true,
    description =
        "Writes the graph of the first sample's loss through the untrained model to DIR/loss.dot,"
            + " and DIR/loss.svg when Graphviz's dot is installed.")
final class GraphCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ModelOptions model;

  @Override
  public Integer call() throws Exception {
    Settings settings = model.settings(spec.commandLine(), 100, 1);
    Path out = model.outputFolder(spec.commandLine());
    Network network = Trainer.network(settings);
    Moons data = Trainer.data(settings);
    network.x0.setData(data.x0(0));
    network.x1.setData(data.x1(0));
    network.y.setData(data.label(0));
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
