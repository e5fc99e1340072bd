/**
 * Data-parallel gradients of compiled graphs on Apache Spark: {@link
 * dev.jitgrad.spark.SparkGradients} runs {@code CompiledGraph.valueAndGradBatch} inside each
 * partition of an RDD and adds the partitions' results in partition order, and serves as the
 * gradient source of {@code Training}.
 */
package dev.jitgrad.spark;
