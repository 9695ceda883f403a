package io.srwmspark.workers.srwm;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Forward and backward of the self-referential weight matrix (Irie et al., ICML 2022, eqs. 5-8).
 *
 * <p>Per head, with row vectors and W = W_{t-1} = [W_y | W_q | W_k | W_b] (E x (3E+4)):
 * <pre>
 *   y_t = x_t W_y            q_t = softmax(x_t W_q)     k_t = softmax(x_t W_k)     b_t = sigmoid(x_t W_b)
 *   for P in (y, q, k, b):   W_P &lt;- W_P + b_t[P] * outer(k_t, q_t W_P - k_t W_P)
 * </pre>
 * y_t uses the weights before step t's update; the update also runs at the last step, so the final state
 * can be carried into the next call. Heads are independent; every sequence rewrites its own copy.
 *
 * <p>Implementations are thread-safe and keep no state between calls except what they return.
 */
public interface SrwmKernel {

    /** Short name used on the command line ({@code cpu}, {@code nd4j}). */
    String name();

    /**
     * Runs the layer.
     *
     * @param input    the call
     * @param training keep a tape for {@link #backward}; false for inference (no per-step memory)
     */
    SrwmOutput forward(SrwmInput input, boolean training);

    /**
     * Backpropagates through a forward that was run with {@code training = true}.
     *
     * @param input          the same input the forward saw
     * @param forward        the forward's result (its tape is read, not modified)
     * @param gradY          (B, H, T, E) dL/dy
     * @param gradFinalState (B, H, E, 3E+4) dL/d(final state), or null when the final state does not enter L
     */
    SrwmGradients backward(SrwmInput input, SrwmOutput forward, INDArray gradY, INDArray gradFinalState);
}
