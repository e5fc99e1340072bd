/**
 * The Spark demo behind {@code jitgrad-spark-examples.jar}: micrograd's moons model trained through
 * {@code Training} with Spark as its gradient source, next to the same training on one machine.
 */
package dev.jitgrad.spark.examples;
