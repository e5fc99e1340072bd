package dev.jitgrad.codegen;

/**
 * Runs one program on arrays: the base of generated classes and of the IR interpreter.
 *
 * <p>Output values land in {@code ws[0 .. outputCount)}; gradients are written to {@code pg} and
 * {@code ig}. Callers check every array's length first, so kernels never see a short array.
 */
abstract class Kernel {
  abstract void run(double[] in, double[] p, double[] pg, double[] ig, double[] ws);

  /** Returns how many workspace slots {@link #run} needs. */
  abstract int workspaceSize();
}
