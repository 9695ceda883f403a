package io.srwmspark.workers.srwm;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradients of a scalar loss L, from {@link SrwmKernel#backward}.
 *
 * @param dx            (B, H, T, E) dL/dx (through the input softmax when it is on)
 * @param dWeights      (H, E, 3E+4) dL/dW_0 summed over the batch; zeros when the call had an initial state
 * @param dInitialState (B, H, E, 3E+4) dL/dS_0 per sequence when the call had an initial state, else null
 */
public record SrwmGradients(INDArray dx, INDArray dWeights, INDArray dInitialState) {
}
