/**
 * The self-referential weight matrix (SRWM) layer of Irie, Schlag, Csordás and Schmidhuber, "A Modern
 * Self-Referential Weight Matrix That Learns to Modify Itself", ICML 2022 (arXiv 2202.05780).
 *
 * <p>{@link io.srwmspark.workers.srwm.SrwmKernel} is the contract: exact forward and backward of the layer
 * for x of shape (B, H, T, E). Two implementations hold to the same float64 reference vectors:
 * {@link io.srwmspark.workers.srwm.CpuSrwmKernel} (tight Java loops over (batch, head) blocks, spread over
 * the cores) and {@link io.srwmspark.workers.srwm.Nd4jSrwmKernel} (batched ND4J ops, any backend).
 * Nothing here imports Spark.
 */
package io.srwmspark.workers.srwm;
