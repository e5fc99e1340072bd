package dev.jitgrad.codegen;

/**
 * Thrown when jitgrad's compiler breaks one of its own rules (an invalid IR, generated code that
 * does not load): a bug in jitgrad, never a problem with the caller's graph or arguments, which get
 * {@link IllegalArgumentException}s. Its message starts with "jitgrad bug: ".
 */
public final class JitBugException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  JitBugException(String message) {
    super("jitgrad bug: " + message);
  }

  JitBugException(String message, Throwable cause) {
    super("jitgrad bug: " + message, cause);
  }
}
