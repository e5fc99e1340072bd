package dev.jitgrad.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * A progress bar on standard error, drawn only when it is a terminal and not {@code --quiet}, so
 * that its colours and carriage returns never reach a log; otherwise it does nothing.
 */
final class Progress implements AutoCloseable {
  /** How often the bar redraws, and so how often it asks for a fresh message. */
  private static final long INTERVAL_MILLIS = 100;

  /** Progress that is never shown, for tests and quiet runs. */
  static final Progress SILENT = new Progress(null, 0);

  private final ProgressBar bar;
  private final long max;
  private long lastMessage = Long.MIN_VALUE;

  private Progress(ProgressBar bar, long max) {
    this.bar = bar;
    this.max = max;
  }

  /** Returns a bar named {@code task} that counts to {@code max}, or {@link #SILENT}. */
  static Progress start(String task, long max, boolean quiet) {
    if (quiet || !isTerminal()) {
      return SILENT;
    }
    return new Progress(
        new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(max)
            .setConsumer(new ConsoleProgressBarConsumer(System.err))
            .setUpdateIntervalMillis((int) INTERVAL_MILLIS)
            .build(),
        max);
  }

  /**
   * Moves the bar to {@code done}; asks {@code message} for its text only when the bar will show it
   * (at most once per redraw, and at the end), since building it may cost a copy of a history.
   */
  void update(long done, Supplier<String> message) {
    if (bar == null) {
      return;
    }
    long now = System.nanoTime() / 1_000_000;
    if (done >= max || lastMessage == Long.MIN_VALUE || now - lastMessage >= INTERVAL_MILLIS) {
      bar.setExtraMessage(message.get());
      lastMessage = now;
    }
    bar.stepTo(done);
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }

  /**
   * Returns whether standard error is a terminal: on Linux from what file descriptor 2 is,
   * elsewhere from {@link System#console()}.
   */
  static boolean isTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/")
          || target.startsWith("/dev/tty")
          || target.equals("/dev/console");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return System.console() != null;
    }
  }
}
