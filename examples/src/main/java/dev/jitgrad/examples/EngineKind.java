package dev.jitgrad.examples;

/** Which engine trains: the {@code Value} interpreter, or bytecode compiled from the graph. */
public enum EngineKind {
  /** Builds and backpropagates a {@code Value} graph of the whole batch at every step. */
  INTERPRETER,
  /** Compiles one sample's loss once with {@code Jit.compile} and runs it over the batch. */
  COMPILED;

  /** Returns the name as the command line spells it: {@code interpreter} or {@code compiled}. */
  @Override
  public String toString() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
