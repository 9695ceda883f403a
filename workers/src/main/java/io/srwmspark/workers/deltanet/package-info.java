/**
 * The Delta Net's fast-weight recurrence (Schlag, Irie and Schmidhuber, ICML 2021), the baseline of the SRWM
 * paper: {@link io.srwmspark.workers.deltanet.DeltaRule} runs the per-head delta-rule update and read-out with
 * an exact backward, as Java loops over (batch, head) blocks on all cores, float32 and float64. The block around
 * it (layer norm, slow projection, output projection, feed-forward) is
 * {@link io.srwmspark.workers.nn.DeltaNetBlock}. Nothing here imports Spark.
 */
package io.srwmspark.workers.deltanet;
