/**
 * Few-shot meta-learning as sequence learning (Irie et al., ICML 2022, section 4.1): N-way K-shot episodes
 * fed to a sequence model one image at a time, the model assembled from a CNN backbone and a sequence
 * model, the loss, the optimizer and the single-machine trainer. No Spark imports: the driver moves the
 * per-shard gradient sums computed here.
 */
package io.srwmspark.workers.fewshot;
