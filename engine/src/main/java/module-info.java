/**
 * jitgrad's engine: {@code Value} and reverse-mode autodiff ({@code dev.jitgrad.engine}), and
 * networks, losses and optimisers ({@code dev.jitgrad.nn}). No dependency. {@code
 * dev.jitgrad.engine.internal} (the op table, the traversal codegen traces with, the scalar
 * functions generated code calls) is exported to the compiler only.
 */
module dev.jitgrad.engine {
  exports dev.jitgrad.engine;
  exports dev.jitgrad.nn;
  exports dev.jitgrad.engine.internal to
      dev.jitgrad.codegen;
}
