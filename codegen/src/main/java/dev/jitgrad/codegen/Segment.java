package dev.jitgrad.codegen;

/** The base class of every generated class: one run over its share of a program's chunks. */
abstract class Segment {
  abstract void run(double[] in, double[] p, double[] pg, double[] ig, double[] ws);
}
