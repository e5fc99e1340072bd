package dev.jitgrad.examples;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code jitgrad} command: by default, micrograd's demo.ipynb (an MLP learning the two moons)
 * trained with compiled bytecode, with a progress bar and two plots.
 */
@Command(
    name = "jitgrad",
    mixinStandardHelpOptions = true,
    versionProvider = Main.ManifestVersion.class,
    subcommands = {GraphCommand.class, ExprCommand.class, DigitsCommand.class},
    description =
        "Trains micrograd's two-moons classifier (SVM max-margin loss, L2 penalty, SGD) and writes"
            + " DIR/decision-boundary.png and DIR/training.png.")
public final class Main implements Callable<Integer> {
  /** The exit code of a run whose engines disagree or whose work failed. */
  public static final int FAILURE = 1;

  /** The exit code of a bad command line. */
  public static final int USAGE = 2;

  /** The largest relative parameter difference {@code --compare} accepts between the engines. */
  public static final double TOLERANCE = 1e-9;

  @Spec CommandSpec spec;

  @Mixin ModelOptions model;

  @Option(
      names = "--engine",
      paramLabel = "ENGINE",
      defaultValue = "compiled",
      description = "interpreter or compiled (default: ${DEFAULT-VALUE}).")
  EngineKind engine;

  @Option(
      names = "--compare",
      description =
          "Train with both engines; print the speed-up and the largest parameter difference, and"
              + " exit with 1 if it is above 1e-9. Plots show the --engine run.")
  boolean compare;

  @Option(
      names = "--steps",
      paramLabel = "N",
      defaultValue = "100",
      description = "SGD steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--samples",
      paramLabel = "N",
      defaultValue = "100",
      description = "Moons points (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress bar.")
  boolean quiet;

  private TrainingResult result;

  /** The version in the jar's manifest ({@code Implementation-Version}), or "dev" outside a jar. */
  static final class ManifestVersion implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"jitgrad " + (version == null ? "dev" : version)};
    }
  }

  /** Runs the command line {@code args} and returns the exit code. */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** Runs the command line {@code args} and exits with its exit code. */
  public static void main(String... args) {
    System.exit(run(args));
  }

  /**
   * Returns the command line, set up so that every error is one line on standard error: {@link
   * #USAGE} for a bad command line, {@link #FAILURE} for work that failed or ran out of memory.
   */
  public static CommandLine commandLine() {
    System.setProperty("java.awt.headless", "true");
    CommandLine commandLine = new CommandLine(new Main());
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    commandLine.setParameterExceptionHandler(
        (e, args) -> {
          e.getCommandLine().getErr().println(errorLine(e.getMessage()) + " (see --help)");
          return USAGE;
        });
    commandLine.setExecutionExceptionHandler(
        (e, cl, parseResult) -> {
          String message = e.getMessage() == null ? e.toString() : e.getMessage();
          cl.getErr().println(errorLine(message));
          return FAILURE;
        });
    commandLine.setExecutionStrategy(
        parseResult -> {
          try {
            return new CommandLine.RunLast().execute(parseResult);
          } catch (OutOfMemoryError e) {
            parseResult
                .commandSpec()
                .commandLine()
                .getErr()
                .println(
                    errorLine(
                        "out of memory ("
                            + e.getMessage()
                            + ") in a heap of "
                            + Footprint.bytes(Runtime.getRuntime().maxMemory())
                            + ": use smaller sizes, or give Java more with -Xmx"));
            return FAILURE;
          }
        });
    return commandLine;
  }

  /**
   * Returns what went wrong in {@code e} for a line that names the file itself: a file system
   * error's reason (its message repeats the path), else its message; never a class name or "null"
   * (an empty gzip file's {@link java.io.EOFException} has no message).
   */
  static String reason(Exception e) {
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    String message = e.getMessage();
    if (message != null && !message.isBlank()) {
      return message;
    }
    return e instanceof java.io.EOFException ? "it ends too early" : "it cannot be used";
  }

  private static String errorLine(String message) {
    return "jitgrad: " + message.strip().replaceAll("\\s*\\R\\s*", " ");
  }

  /** Returns the result of the last training with {@code --engine}, or null before one. */
  public TrainingResult result() {
    return result;
  }

  @Override
  public Integer call() throws IOException {
    CommandLine commandLine = spec.commandLine();
    Settings settings = model.settings(commandLine, samples, steps);
    Path out = model.outputFolder(commandLine);
    EngineKind otherEngine =
        engine == EngineKind.COMPILED ? EngineKind.INTERPRETER : EngineKind.COMPILED;
    checkHeap(settings, engine);
    if (compare) {
      checkHeap(settings, otherEngine);
    }
    PrintWriter stdout = commandLine.getOut();
    Trainer.Run run = train(engine, settings);
    result = run.result();
    stdout.println(summary(result));
    int exit = 0;
    if (compare) {
      TrainingResult other = train(otherEngine, settings).result();
      stdout.println(summary(other));
      exit = compare(stdout, commandLine.getErr(), result, other);
    }

    Path boundary = out.resolve("decision-boundary.png");
    Path training = out.resolve("training.png");
    Plots.decisionBoundary(Trainer.data(settings), run.score(), boundary);
    Plots.training(result, training);
    stdout.println("wrote " + boundary + " and " + training);
    return exit;
  }

  private static void checkHeap(Settings settings, EngineKind kind) {
    Footprint.check(
        Footprint.training(settings, kind),
        String.format(
            Locale.ROOT,
            "training %,d parameters with --samples %d and --steps %d (%s engine)",
            Footprint.parameters(settings.layerSizes()),
            settings.samples(),
            settings.steps(),
            kind));
  }

  private Trainer.Run train(EngineKind kind, Settings settings) {
    try (Progress progress = Progress.start(kind.toString(), settings.steps(), quiet)) {
      return Trainer.run(kind, settings, progress);
    }
  }

  /** Returns the line that reports a training run. */
  static String summary(TrainingResult r) {
    String heldOut =
        Double.isNaN(r.heldOutAccuracy())
            ? ""
            : String.format(Locale.ROOT, " (held-out %.1f%%)", 100 * r.heldOutAccuracy());
    return String.format(
        Locale.ROOT,
        "%s: accuracy %.1f%%%s, loss %.4g, %d steps at %.1f steps/s, total %.3f s (setup %.3f s)",
        r.engine(),
        100 * r.accuracy(),
        heldOut,
        r.finalLoss(),
        r.steps(),
        r.stepsPerSecond(),
        r.totalSeconds(),
        r.setupSeconds());
  }

  /**
   * Prints how the two runs compare and returns {@link #FAILURE} if their parameters differ or
   * either run diverged (has a parameter that is not finite).
   */
  static int compare(PrintWriter out, PrintWriter err, TrainingResult a, TrainingResult b) {
    TrainingResult compiled = a.engine() == EngineKind.COMPILED ? a : b;
    TrainingResult interpreted = a == compiled ? b : a;
    String speed =
        String.format(
            Locale.ROOT,
            "compiled trains %.1fx faster than the interpreter (%.1fx counting compilation)",
            interpreted.trainSeconds() / compiled.trainSeconds(),
            interpreted.totalSeconds() / compiled.totalSeconds());
    if (diverged(compiled) || diverged(interpreted)) {
      out.println(speed);
      err.println(errorLine(divergence(compiled, interpreted)));
      return FAILURE;
    }
    double difference = a.maxRelativeDifference(b);
    out.printf(
        Locale.ROOT, "%s; largest parameter difference %.3g (relative)%n", speed, difference);
    if (!(difference <= TOLERANCE)) {
      err.printf(
          Locale.ROOT,
          "jitgrad: the engines' parameters differ by %.3g, more than %.0e%n",
          difference,
          TOLERANCE);
      return FAILURE;
    }
    return 0;
  }

  private static boolean diverged(TrainingResult r) {
    return !Arrays.stream(r.parameters()).allMatch(Double::isFinite);
  }

  private static String divergence(TrainingResult compiled, TrainingResult interpreted) {
    if (diverged(compiled) && diverged(interpreted)) {
      return String.format(
          Locale.ROOT,
          "both engines diverged (final loss %.4g compiled, %.4g interpreter; parameters not"
              + " finite): there is no parameter difference to measure",
          compiled.finalLoss(),
          interpreted.finalLoss());
    }
    TrainingResult bad = diverged(compiled) ? compiled : interpreted;
    TrainingResult good = bad == compiled ? interpreted : compiled;
    return String.format(
        Locale.ROOT,
        "the %s engine diverged (final loss %.4g, parameters not finite) and the %s engine did"
            + " not (final loss %.4g)",
        bad.engine(),
        bad.finalLoss(),
        good.engine(),
        good.finalLoss());
  }
}
