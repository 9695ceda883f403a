/**
 * CNN backbones of the few-shot model with explicit forward and backward, float32 and float64, on CPU:
 * {@link io.srwmspark.workers.cnn.Conv4Backbone} (the paper's Conv-4) and
 * {@link io.srwmspark.workers.cnn.Res12Backbone} (ResNet-12), both behind
 * {@link io.srwmspark.workers.cnn.Backbone}.
 *
 * <p>Batch norm is computed per episode (each group of consecutive images normalized over its own images, in
 * training and evaluation), so an episode's features never depend on the rest of the batch and data-parallel
 * training stays exact. Convolutions are direct, register-tiled SIMD loops on channel-last Java arrays
 * ({@code ConvTilesF64}): on the 2-core machines this project targets they run 2-3 times faster than OpenBLAS
 * sgemm and tens of times faster than ND4J's conv2d (docs/cnn.md). Every {@code *F64} class is the template of a
 * generated {@code *F32} twin (workers/pom.xml). Results do not depend on the number of threads.
 */
package io.srwmspark.workers.cnn;
