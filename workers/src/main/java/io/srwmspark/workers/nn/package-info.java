/**
 * The sequence blocks of Irie et al. (ICML 2022) as plain numerics, with no DL4J layer code: the few-shot
 * block {@link io.srwmspark.workers.nn.SrwmBlock} (SRWM, output projection, layer norms, feed-forward), the RL
 * block {@link io.srwmspark.workers.nn.SrwmRlBlock} (softmax input, residual, optional feed-forward), and the
 * paper's two baselines, interchangeable with the few-shot block (input and output (B, T, D), the same
 * Config / Params / Forward / Gradients records, step masks and dropout seeds):
 * {@link io.srwmspark.workers.nn.DeltaNetBlock} (the Delta Net's fast weights) and
 * {@link io.srwmspark.workers.nn.LstmBlock} (an LSTM). docs/sequence-models.md compares the three.
 *
 * <p>Rows are positions: a (B, T, D) sequence batch is handled as B*T rows of width D (row b*T + t). Dense
 * parts are batched ND4J ops (mmul over all rows); the fast-weight parts go through a kernel passed in
 * ({@link io.srwmspark.workers.srwm.SrwmKernel}, {@link io.srwmspark.workers.deltanet.DeltaRule}). Forward
 * results keep what backward needs, so a backward pass never recomputes the forward (the kernels replay
 * their fast weights from checkpoints internally). Linear weights are stored (in, out): y = x W.
 */
package io.srwmspark.workers.nn;
