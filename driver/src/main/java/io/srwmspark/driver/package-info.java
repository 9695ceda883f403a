/**
 * Spark orchestration of SRWM training: Spark configuration, broadcast of parameters, aggregation of the
 * per-shard gradients that {@code workers} computes, the optimizer step, checkpoints. No numerics here.
 */
package io.srwmspark.driver;
