package dev.jitgrad.codegen;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A value made on first use. Threads that ask at the same time each make one, without waiting for
 * one another, and one compare-and-set decides which is kept; the maker is then let go, with what
 * it holds. The value may be null. A maker that throws passes its exception to the caller and
 * leaves the value to be made by the next call.
 */
final class Lazy<T> {
  /** The state until the value is made. */
  private record Pending(Supplier<?> maker) {}

  /** A {@link Pending} until made, then the value. */
  private final AtomicReference<Object> state;

  /** A value that {@code maker} makes on first use. */
  Lazy(Supplier<? extends T> maker) {
    state = new AtomicReference<>(new Pending(maker));
  }

  /** A value made already. */
  private Lazy(T value) {
    state = new AtomicReference<>(value);
  }

  /** Returns a value made already. */
  static <T> Lazy<T> of(T value) {
    return new Lazy<>(value);
  }

  /** Returns the value, making it now if no call has yet. */
  @SuppressWarnings("unchecked")
  T get() {
    Object s = state.get();
    if (s instanceof Pending pending) {
      state.compareAndSet(s, pending.maker().get());
      s = state.get();
    }
    return (T) s;
  }

  /** Returns whether the value is still to be made. */
  boolean pending() {
    return state.get() instanceof Pending;
  }
}
