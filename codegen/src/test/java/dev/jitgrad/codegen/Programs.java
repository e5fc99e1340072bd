package dev.jitgrad.codegen;

import java.util.Arrays;

/** Runs programs on a kernel, for the tests of single stages. */
final class Programs {
  private Programs() {}

  /**
   * Runs {@code kernel}, compiled from {@code p}: its outputs, then the input gradients and param
   * gradients it adds into arrays that start at {@link Oracle#startGrad}.
   */
  static double[] run(Kernel kernel, Program p, double[] x, double[] params) {
    double[] ws = new double[kernel.workspaceSize()];
    double[] ig = Oracle.startGrad(x.length);
    double[] pg = Oracle.startGrad(params.length);
    kernel.run(x, params, pg, ig, ws);
    double[] out = Arrays.copyOf(ws, p.outputCount + ig.length + pg.length);
    System.arraycopy(ig, 0, out, p.outputCount, ig.length);
    System.arraycopy(pg, 0, out, p.outputCount + ig.length, pg.length);
    return out;
  }

  /**
   * Runs {@code p} on the IR interpreter; see {@link #run(Kernel, Program, double[], double[])}.
   */
  static double[] interpret(Program p, double[] x, double[] params) {
    return run(new Interpreter(p), p, x, params);
  }

  /** Returns how many instructions of {@code p} have the given kind. */
  static int count(Program p, Kind kind) {
    int n = 0;
    for (int i = 0; i < p.size; i++) {
      n += p.kind(i) == kind ? 1 : 0;
    }
    return n;
  }
}
