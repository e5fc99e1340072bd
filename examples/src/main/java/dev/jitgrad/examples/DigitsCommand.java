package dev.jitgrad.examples;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Trains the digits classifier with compiled code and draws what it got right and wrong. */
@Command(
    name = "digits",
    mixinStandardHelpOptions = true,
    description =
        "Trains an MLP 64-32-10 on 8x8 handwritten digits (softmax cross-entropy, Adam, batches"
            + " of 32) on 80%% of each digit, reports the accuracy on the other 20%%, and writes"
            + " DIR/digits-confusion.png and DIR/digits-predictions.png.")
final class DigitsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--seed",
      paramLabel = "SEED",
      defaultValue = "" + Settings.DEFAULT_SEED,
      description =
          "Seeds the split, the initial weights and the batches (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--epochs",
      paramLabel = "N",
      defaultValue = "" + DigitsTraining.EPOCHS,
      description = "Passes over the training digits (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(
      names = "--data",
      paramLabel = "FILE",
      description =
          "A CSV of digits (gzipped if it ends in .gz): per line 64 pixel counts 0-16, row by row,"
              + " then the digit (default: the 1,797 UCI digits shipped in the jar).")
  Path data;

  @Option(
      names = "--compare",
      description =
          "Train again with the interpreter computing each step's gradient (on the same batches,"
              + " about 15x slower); print the speed-up and the largest parameter difference, and"
              + " exit with 1 if it is above 1e-9.")
  boolean compare;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      defaultValue = "out",
      description = "Folder for the files written (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress bar.")
  boolean quiet;

  private DigitsTraining.Result result;

  /** Returns the result of the last compiled training, or null before one. */
  DigitsTraining.Result result() {
    return result;
  }

  @Override
  public Integer call() throws IOException {
    CommandLine commandLine = spec.commandLine();
    if (epochs <= 0) {
      throw new ParameterException(commandLine, "epochs must be positive, got " + epochs);
    }
    Path folder = ModelOptions.outputFolder(commandLine, out);
    Digits digits = data == null ? Digits.load() : Digits.load(data);
    String source = data == null ? Digits.RESOURCE : data.toString();
    PrintWriter stdout = commandLine.getOut();
    result = train(digits, source, EngineKind.COMPILED);
    stdout.println(Main.summary(result.training()));
    int exit = 0;
    if (compare) {
      DigitsTraining.Result other = train(digits, source, EngineKind.INTERPRETER);
      stdout.println(Main.summary(other.training()));
      exit = Main.compare(stdout, commandLine.getErr(), result.training(), other.training());
    }

    Path confusion = folder.resolve("digits-confusion.png");
    Path predictions = folder.resolve("digits-predictions.png");
    DigitsPlots.confusion(result.confusion(), confusion);
    DigitsPlots.predictions(
        digits, result.split().heldOutIndices(), result.predictions(), predictions);
    stdout.println("wrote " + confusion + " and " + predictions);
    return exit;
  }

  private DigitsTraining.Result train(Digits digits, String source, EngineKind engine) {
    try (Progress progress = Progress.start(engine.toString(), epochs, quiet)) {
      return DigitsTraining.train(digits, source, seed, epochs, engine, progress);
    }
  }
}
