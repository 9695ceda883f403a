/**
 * Spark orchestration of SRWM training: Spark configuration, broadcast of parameters, aggregation of the
 * per-shard gradients that {@code workers} computes, the optimizer step, checkpoints; and the dl4j-averaging
 * strategy, dl4j-spark's parameter averaging of the DL4J graph {@code workers} builds. No numerics here.
 */
package io.srwmspark.driver;
