package io.srwmspark.workers.nn;

import io.srwmspark.workers.rng.DropoutSeed;
import io.srwmspark.workers.srwm.SrwmGradients;
import io.srwmspark.workers.srwm.SrwmInput;
import io.srwmspark.workers.srwm.SrwmKernel;
import io.srwmspark.workers.srwm.SrwmOutput;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SRWM sublayer that {@link SrwmBlock} and {@link SrwmRlBlock} share (Irie et al., ICML 2022, eq. 5-8 for
 * the SRWM, then the output projection):
 * <pre>
 *   a = SRWM(h seen as (B, H, T, E))                 (N, D)   optionally softmax over each head's input first
 *   o = Dropout(a W_out; m1)                         (N, D)   W_out (D, D), no bias; m1 at dropout site 0
 * </pre>
 * Backward, with dL/do: dp = dL/do m1, dW_out = a^T dp, da = dp W_out^T, then the kernel's backward.
 */
final class SrwmSublayer {

    /** The forward kept for backward. */
    record Pass(SrwmInput input, SrwmOutput srwm, INDArray a, INDArray drop1, INDArray out) {

        /** Frees the kernel's tape. */
        void release() {
            if (srwm.tape() != null) {
                srwm.tape().release();
            }
        }
    }

    /**
     * Gradients of the sublayer.
     *
     * @param dWOut (D, D) dL/dW_out
     * @param dx    (N, D) dL/dh through the SRWM
     * @param srwm  the kernel's gradients (weights, initial state)
     */
    record Grads(INDArray dWOut, INDArray dx, SrwmGradients srwm) {
    }

    private SrwmSublayer() {
    }

    /**
     * @param h            (B, T, D) input
     * @param rowMask      (N, 1) step mask as rows, or null
     * @param inputSoftmax softmax over each head's input (the RL layer) or not
     * @param drops        dropout masks, or null for none
     */
    static Pass forward(SrwmKernel kernel, int heads, INDArray h, INDArray weights, INDArray wOut,
            INDArray initialState, INDArray rowMask, boolean inputSoftmax, boolean training, DropoutSeed drops,
            double rate) {
        long batch = h.size(0);
        long steps = h.size(1);
        long d = h.size(2);
        SrwmInput in = new SrwmInput(Heads.split(h, heads), weights, initialState,
                rowMask == null ? null : rowMask.reshape('c', batch, steps), inputSoftmax);
        SrwmOutput srwm = kernel.forward(in, training);
        INDArray a = Heads.mergeToRows(srwm.y());                       // (N, D)
        INDArray drop1 = Dropout.mask(drops, 0, rate, h.dataType(), batch * steps, d);
        return new Pass(in, srwm, a, drop1, Dropout.apply(a.mmul(wOut), drop1));
    }

    /**
     * @param dOut           (N, D) dL/do
     * @param gradFinalState dL/d(final state), or null
     */
    static Grads backward(SrwmKernel kernel, int heads, Pass pass, INDArray wOut, INDArray dOut,
            INDArray gradFinalState) {
        long batch = pass.input().x().size(0);
        long steps = pass.input().x().size(2);
        long d = pass.a().size(1);
        INDArray dp = Dropout.apply(dOut, pass.drop1());                // (N, D)
        INDArray dWOut = Nd4j.gemm(pass.a(), dp, true, false);          // (D, D)
        INDArray da = Nd4j.gemm(dp, wOut, false, true);                 // (N, D)
        INDArray daHeads = Heads.split(da.reshape('c', batch, steps, d), heads);  // (B, H, T, E)
        SrwmGradients g = kernel.backward(pass.input(), pass.srwm(), daHeads, gradFinalState);
        return new Grads(dWOut, Heads.mergeToRows(g.dx()), g);
    }
}
