package dev.jitgrad.codegen;

/**
 * The optimised programs a compiled graph runs: forward, gradient and input gradient. A graph
 * compiled from {@code Value}s derives them again from the program reverse mode differentiates
 * whenever it needs them, so it keeps no copy; a loaded graph holds the ones its file fixed.
 */
sealed interface GraphPrograms {
  Program forward();

  Program gradient();

  Program inputGradient();

  /**
   * Returns the programs with their DOTs and UPDATEs expanded ({@link Lowering#expandNary}), as a
   * saved file holds them.
   */
  default Saved expanded() {
    return new Saved(
        Lowering.expandNary(forward()),
        Lowering.expandNary(gradient()),
        Lowering.expandNary(inputGradient()));
  }

  /** Programs derived by stages 4 and 5 from {@code differentiable} on each call. */
  record Derived(Program differentiable, JitOptions options) implements GraphPrograms {
    @Override
    public Program forward() {
      return Compiler.forwardProgram(differentiable, options);
    }

    @Override
    public Program gradient() {
      return Compiler.gradientProgram(differentiable, false, options);
    }

    @Override
    public Program inputGradient() {
      return Compiler.gradientProgram(differentiable, true, options);
    }
  }

  /** Programs fixed by a saved file: no pass runs on them again. */
  record Saved(Program forward, Program gradient, Program inputGradient) implements GraphPrograms {}
}
