package dev.jitgrad.examples;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The options training and graph export share: which model, and where files go. */
final class ModelOptions {
  @Option(
      names = "--seed",
      paramLabel = "SEED",
      defaultValue = "" + Settings.DEFAULT_SEED,
      description = "Seeds the data and the initial weights (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--hidden",
      split = ",",
      paramLabel = "N,N,...",
      hideParamSyntax = true,
      defaultValue = "16,16",
      description = "Hidden layer sizes (default: ${DEFAULT-VALUE}).")
  int[] hidden;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      defaultValue = "out",
      description = "Folder for the files written (default: ${DEFAULT-VALUE}).")
  Path out;

  /**
   * Returns the settings these options and {@code samples} and {@code steps} describe.
   *
   * @throws ParameterException if a size is not positive
   */
  Settings settings(CommandLine commandLine, int samples, int steps) {
    try {
      return new Settings(seed, samples, hidden, steps);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(commandLine, e.getMessage(), e);
    }
  }

  /**
   * Creates the output folder if needed and returns it.
   *
   * @throws ParameterException if it cannot be created or written to
   */
  Path outputFolder(CommandLine commandLine) {
    return outputFolder(commandLine, out);
  }

  /**
   * Creates the folder {@code out} if needed and returns it.
   *
   * @throws ParameterException if it cannot be created or written to
   */
  static Path outputFolder(CommandLine commandLine, Path out) {
    try {
      Files.createDirectories(out);
    } catch (FileAlreadyExistsException e) {
      throw cannotWrite(commandLine, out, "a file of that name exists");
    } catch (IOException | SecurityException e) {
      throw cannotWrite(commandLine, out, Main.reason(e));
    }
    if (!Files.isWritable(out)) {
      throw cannotWrite(commandLine, out, "it is not writable");
    }
    return out;
  }

  private static ParameterException cannotWrite(CommandLine commandLine, Path out, String reason) {
    return new ParameterException(
        commandLine, "cannot write to output folder '" + out + "': " + reason);
  }
}
