package io.srwmspark.workers.srwm;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Result of {@link SrwmKernel#forward}.
 *
 * @param y          (B, H, T, E) outputs y_t = x_t W_{y,t-1}
 * @param finalState (B, H, E, 3E+4) fast weights after all T updates, for a stateful caller
 * @param tape       what the kernel kept for {@link SrwmKernel#backward}; null when the forward was run
 *                   without it
 */
public record SrwmOutput(INDArray y, INDArray finalState, SrwmTape tape) {
}
