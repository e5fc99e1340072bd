package dev.jitgrad.examples;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Training;

/**
 * Times a {@link Training} run through its gradient seam: from this clock's creation to the first
 * step's gradient is setup (for {@code Training}, compiling), from there to {@link #trainSeconds}
 * is training.
 */
final class Stopwatch implements Training.GradientSource {
  private final Training.GradientSource source;
  private final long start = System.nanoTime();
  private long firstStep;
  private boolean stepped;

  /** Starts the clock, which passes every gradient request on to {@code source}. */
  Stopwatch(Training.GradientSource source) {
    this.source = source;
  }

  @Override
  public double valueAndGrad(
      CompiledGraph graph, double[] inputRows, int rows, double[] params, double[] paramGrad) {
    if (!stepped) {
      firstStep = System.nanoTime();
      stepped = true;
    }
    return source.valueAndGrad(graph, inputRows, rows, params, paramGrad);
  }

  /** Returns the seconds from the clock's start to the first step. */
  double setupSeconds() {
    return (firstStep - start) * 1e-9;
  }

  /** Returns the seconds from the first step until now. */
  double trainSeconds() {
    return (System.nanoTime() - firstStep) * 1e-9;
  }
}
