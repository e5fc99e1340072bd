/**
 * JMH benchmarks comparing four ways to get a loss and its gradient: the engine's object graph
 * (micrograd's way), the codegen IR interpreter, the compiled bytecode and hand-written loops.
 *
 * <p>Run them with {@code java -jar benchmarks/target/benchmarks.jar}; see the module's README.
 */
package dev.jitgrad.benchmarks;
