/**
 * The SRWM blocks of Irie et al. (ICML 2022) as plain numerics, with no DL4J layer code: the few-shot
 * block {@link io.srwmspark.workers.nn.SrwmBlock} (SRWM, output projection, layer norms, feed-forward) and
 * the RL block {@link io.srwmspark.workers.nn.SrwmRlBlock} (softmax input, residual, optional feed-forward).
 *
 * <p>Rows are positions: a (B, T, D) sequence batch is handled as B*T rows of width D (row b*T + t). Dense
 * parts are batched ND4J ops (mmul over all rows); the self-referential part goes through an
 * {@link io.srwmspark.workers.srwm.SrwmKernel} passed in. Forward results keep what backward needs, so a
 * backward pass never recomputes the forward. Linear weights are stored (in, out): y = x W.
 */
package io.srwmspark.workers.nn;
