package dev.jitgrad.benchmarks;

import org.openjdk.jmh.annotations.Fork;

/**
 * The compile and first calls of {@link CrossEntropyCompileBenchmark}, in a JVM with the Vector
 * API's module ({@code --add-modules jdk.incubator.vector}), where the first batch builds lane code
 * with vector calls.
 */
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class CrossEntropyCompileVectorBenchmark extends CrossEntropyCompileBenchmark {}
