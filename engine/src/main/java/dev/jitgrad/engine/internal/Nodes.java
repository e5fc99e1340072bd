package dev.jitgrad.engine.internal;

import dev.jitgrad.engine.Value;

/**
 * What the traversal and codegen read of a {@link Value} beyond its public API: an op's constants,
 * and its children's array. {@code Value} registers its accessor here when its class is
 * initialised, so the accessor stays out of the public API without making the field visible.
 */
public final class Nodes {
  /** Reads a node's constant; implemented by {@code Value}. */
  public interface Access {
    /** Returns constant {@code j} (0 or 1) of {@code v}. */
    double constant(Value v, int j);

    /** Returns {@code v}'s own array of children, not a copy. */
    Value[] children(Value v);
  }

  private static volatile Access access;

  private Nodes() {}

  /**
   * Registers {@code Value}'s accessor; called once, by {@code Value}'s static initialiser.
   *
   * @throws IllegalStateException if an accessor is registered already
   */
  public static void register(Access a) {
    if (access != null) {
      throw new IllegalStateException("the Value accessor is registered already");
    }
    access = a;
  }

  /**
   * Returns {@code v}'s constant {@code j}: the {@code k} ({@code j = 0}) or {@code k2} ({@code j =
   * 1}) of the op table (a POW's exponent, a CLAMP's bounds), 0 for an op without one.
   *
   * @throws IndexOutOfBoundsException if {@code j} is not 0 or 1
   */
  public static double constant(Value v, int j) {
    return access.constant(v, j); // v exists, so Value's class, and its registration, is done
  }

  /**
   * Returns {@code v}'s children in operand order: its own array, which the caller must not write;
   * read in one call where {@link Value#child} would take one per child (see {@link Topology}).
   */
  public static Value[] children(Value v) {
    return access.children(v);
  }
}
