/**
 * Compiles {@code Value} graphs to JVM bytecode: {@link dev.jitgrad.codegen.Jit#compile} traces a
 * graph once into a {@link dev.jitgrad.codegen.CompiledGraph} whose forward and backward passes are
 * straight-line code over {@code double[]} arrays; {@link dev.jitgrad.codegen.Training} trains a
 * model with it.
 */
package dev.jitgrad.codegen;
