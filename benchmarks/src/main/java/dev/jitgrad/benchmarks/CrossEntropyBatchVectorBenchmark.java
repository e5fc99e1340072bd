package dev.jitgrad.benchmarks;

import org.openjdk.jmh.annotations.Fork;

/**
 * The cross-entropy batches of {@link CrossEntropyBatchBenchmark}, in a JVM with the Vector API's
 * module ({@code --add-modules jdk.incubator.vector}), where lane code writes its chains as vector
 * calls; the hand-written contender runs in the same JVM.
 */
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class CrossEntropyBatchVectorBenchmark extends CrossEntropyBatchBenchmark {}
