package dev.jitgrad.codegen;

/** Thrown when a graph's program is larger than the compiler accepts; it carries both sizes. */
public final class GraphTooLargeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final long size;
  private final long limit;

  GraphTooLargeException(String what, long size, long limit) {
    super(
        what
            + " has "
            + size
            + " IR instructions, more than the limit of "
            + limit
            + " (JitOptions.maxNodes)");
    this.size = size;
    this.limit = limit;
  }

  /** Returns the size of the program that was refused, in IR instructions. */
  public long size() {
    return size;
  }

  /** Returns the limit it exceeded. */
  public long limit() {
    return limit;
  }
}
