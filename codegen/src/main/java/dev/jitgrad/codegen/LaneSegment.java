package dev.jitgrad.codegen;

/** The base class of every generated lane class: one run over its share of a lane kernel. */
abstract class LaneSegment {
  abstract void run(double[] lanes, double[] p, double[] pg, int rows);
}
