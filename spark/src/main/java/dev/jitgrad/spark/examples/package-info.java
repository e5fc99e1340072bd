/**
 * The Spark demo behind {@code jitgrad-spark-examples.jar}: micrograd's moons model and the
 * examples' digits model trained through {@code Training} with Spark as their gradient source, next
 * to the same training on one machine.
 */
package dev.jitgrad.spark.examples;
