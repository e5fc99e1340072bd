package dev.jitgrad.engine.internal;

/** The engine's check of a list's elements, for the engine and its networks alike. */
public final class Elements {
  private Elements() {}

  /**
   * Returns {@code value}, element {@code i} of {@code list}, or throws naming it if it is null.
   * The message is built only then: built for every operand of every sum, it cost the engine's
   * steps 1.3× their time (benchmarks/RESULTS.md, "ninth session").
   *
   * @throws NullPointerException "list[i] is null"
   */
  public static <T> T nonNull(T value, String list, int i) {
    if (value == null) {
      throw new NullPointerException(list + "[" + i + "] is null");
    }
    return value;
  }
}
