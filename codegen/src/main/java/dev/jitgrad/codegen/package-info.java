/**
 * Compiles {@code Value} graphs to JVM bytecode: {@link dev.jitgrad.codegen.Jit#compile} traces a
 * graph once into a {@link dev.jitgrad.codegen.CompiledGraph} whose forward and backward passes are
 * straight-line code over {@code double[]} arrays.
 */
package dev.jitgrad.codegen;
