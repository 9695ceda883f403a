package io.srwmspark.workers.nn;

import io.srwmspark.workers.rng.DropoutSeed;
import io.srwmspark.workers.srwm.SrwmKernel;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One SRWM block of the RL agent (Irie et al., ICML 2022; docs/DESIGN.md sections 2 and 4), on h (B, T, D),
 * D = H E, rows N = B T:
 * <pre>
 *   a   = SRWM(softmax(h) per head, over E)                  (N, D)
 *   s   = h + Dropout(a W_out; m1)                            (N, D)    W_out (D, D), no bias, no layer norm
 *   out = s + FF(s)   when F &gt; 0, else out = s               (N, D)    FF: the pre-LN {@link FeedForward}
 * </pre>
 * The SRWM sublayer is the paper's RL layer; the agent of the paper follows each one by a feed-forward sublayer
 * (F = 512 there), which {@link Config#ffSize()} &gt; 0 adds here. Dropout masks m1 (N, D) and, with the
 * feed-forward, m2 (N, F) and m3 (N, D) are drawn at sites 0, 1, 2 from the {@link DropoutSeed}.
 *
 * <p>Backward, with g = dL/dout: ds = FF'(g) (or g); dp = ds m1; dW_out = a^T dp; da = dp W_out^T;
 * dh = ds + SRWM'(da), the kernel applying the input softmax's backward.
 *
 * <p>Stateful use: pass the previous call's {@link Forward#finalState()} as the next call's initial state to
 * carry the fast weights across calls (RL unrolls, streaming inference); its gradient comes back as
 * {@link Gradients#dInitialState()}. Masked steps output 0, pass no gradient and leave the fast weights
 * untouched.
 */
public final class SrwmRlBlock {

    /**
     * Sizes and rates of an RL block.
     *
     * @param heads    H
     * @param headSize E (D = H E)
     * @param ffSize   F, hidden size of the feed-forward sublayer, 0 for none
     * @param dropout  dropout rate in [0, 1)
     * @param lnEps    layer-norm epsilon of the feed-forward sublayer, &gt; 0
     */
    public record Config(int heads, int headSize, int ffSize, double dropout, double lnEps) {

        public Config {
            if (heads < 1 || headSize < 1 || ffSize < 0) {
                throw new IllegalArgumentException("SRWM RL block needs heads, headSize >= 1 and ffSize >= 0, got H = "
                        + heads + ", E = " + headSize + ", F = " + ffSize);
            }
            Dropout.checkRate(dropout);
            if (!(lnEps > 0)) {
                throw new IllegalArgumentException("layer-norm epsilon must be > 0, got " + lnEps);
            }
        }

        /** No dropout, layer-norm epsilon {@value SrwmBlock#DEFAULT_LN_EPS}. */
        public static Config of(int heads, int headSize, int ffSize) {
            return new Config(heads, headSize, ffSize, 0.0, SrwmBlock.DEFAULT_LN_EPS);
        }

        /** D = H E. */
        public int width() {
            return heads * headSize;
        }
    }

    /**
     * Parameters of an RL block, or their gradients. Arrays are held, not copied.
     *
     * @param weights (H, E, 3E+4) the SRWM's initial matrix W_0, packed [W_y|W_q|W_k|W_b]
     * @param wOut    (D, D) output projection, stored (in, out)
     * @param ff      the feed-forward sublayer, null when F = 0
     */
    public record Params(INDArray weights, INDArray wOut, FeedForward.Weights ff) {

        public Params {
            Objects.requireNonNull(weights, "weights");
            Objects.requireNonNull(wOut, "wOut");
        }
    }

    /**
     * Result of {@link #forward}.
     *
     * @param out        (B, T, D) block output
     * @param finalState (B, H, E, 3E+4) fast weights after the last step
     * @param tape       what backward needs; null for an inference forward
     */
    public record Forward(INDArray out, INDArray finalState, Tape tape) {

        /** Hands the SRWM kernel's tape back for reuse; this forward cannot be backpropagated afterwards. */
        public void release() {
            if (tape != null) {
                tape.srwm.release();
            }
        }
    }

    /**
     * Gradients of a scalar loss.
     *
     * @param dh            (B, T, D) dL/dh
     * @param dParams       dL/d(every parameter); dL/dW_0 is zero when the forward had an initial state
     * @param dInitialState (B, H, E, 3E+4) dL/d(initial state), or null when the forward had none
     */
    public record Gradients(INDArray dh, Params dParams, INDArray dInitialState) {
    }

    /** Opaque forward state kept for backward. */
    public static final class Tape {
        private final SrwmSublayer.Pass srwm;
        private final FeedForward.Tape ff;        // null when F = 0
        private final INDArray rowMask;           // (N, 1) or null

        private Tape(SrwmSublayer.Pass srwm, FeedForward.Tape ff, INDArray rowMask) {
            this.srwm = srwm;
            this.ff = ff;
            this.rowMask = rowMask;
        }
    }

    private final Config config;
    private final SrwmKernel kernel;

    public SrwmRlBlock(Config config, SrwmKernel kernel) {
        this.config = Objects.requireNonNull(config, "config");
        this.kernel = Objects.requireNonNull(kernel, "kernel");
    }

    public Config config() {
        return config;
    }

    /** As the {@link DropoutSeed} overload with rows numbered from 0. */
    public Forward forward(Params p, INDArray h, INDArray initialState, INDArray mask, boolean training,
            long dropoutSeed) {
        return forward(p, h, initialState, mask, training, DropoutSeed.of(dropoutSeed));
    }

    /**
     * Runs the block.
     *
     * @param p            parameters
     * @param h            (B, T, D) input, float32 or float64 like every parameter
     * @param initialState (B, H, E, 3E+4) fast weights carried from a previous call, or null to start from W_0
     * @param mask         (B, T) 1 for a real step, 0 for a padded one, or null
     * @param training     keep a tape for backward and apply dropout
     * @param dropoutSeed  where the dropout masks come from (unused when not training or the rate is 0)
     */
    public Forward forward(Params p, INDArray h, INDArray initialState, INDArray mask, boolean training,
            DropoutSeed dropoutSeed) {
        int d = config.width();
        INDArray rows = Heads.rows("SRWM RL block", h, d);              // (N, D)
        long batch = h.size(0);
        long steps = h.size(1);
        long n = batch * steps;
        DataType type = h.dataType();
        check(p, type);
        INDArray rowMask = Heads.rowMask("SRWM RL block", mask, batch, steps, type);  // (N, 1)
        DropoutSeed drops = training && config.dropout() > 0 ? dropoutSeed : null;

        // s = h + Dropout(SRWM(softmax(h)) W_out)
        SrwmSublayer.Pass srwm = SrwmSublayer.forward(kernel, config.heads(), h, p.weights(), p.wOut(),
                initialState, rowMask, true, training, drops, config.dropout());
        INDArray out = rows.add(srwm.out());                            // (N, D)

        // out = s + FF(s)
        FeedForward.Tape ffTape = null;
        if (config.ffSize() > 0) {
            INDArray drop2 = Dropout.mask(drops, 1, config.dropout(), type, n, config.ffSize());
            INDArray drop3 = Dropout.mask(drops, 2, config.dropout(), type, n, d);
            FeedForward.Result ff = FeedForward.forward(p.ff(), out, config.lnEps(), drop2, drop3);
            out = ff.out();
            ffTape = ff.tape();
        }
        if (rowMask != null) {
            out.muliColumnVector(rowMask);
        }
        Tape tape = training ? new Tape(srwm, ffTape, rowMask) : null;
        return new Forward(out.reshape('c', batch, steps, d), srwm.srwm().finalState(), tape);
    }

    /**
     * Backpropagates through a training forward.
     *
     * @param p              the parameters the forward used
     * @param fwd            the forward's result
     * @param gradOut        (B, T, D) dL/dout
     * @param gradFinalState (B, H, E, 3E+4) dL/d(final state), or null when it does not enter the loss
     */
    public Gradients backward(Params p, Forward fwd, INDArray gradOut, INDArray gradFinalState) {
        Tape t = fwd.tape();
        if (t == null) {
            throw new IllegalStateException("SRWM RL block backward needs a forward run with training = true");
        }
        INDArray out = fwd.out();
        long batch = out.size(0);
        long steps = out.size(1);
        INDArray g = Heads.gradRows("SRWM RL block", gradOut, out);    // (N, D)
        if (t.rowMask != null) {
            g = g.mulColumnVector(t.rowMask);
        }
        FeedForward.Weights dFf = null;
        INDArray ds = g;                                                // (N, D)
        if (t.ff != null) {
            FeedForward.Grads ff = FeedForward.backward(p.ff(), t.ff, g);
            ds = ff.ds();
            dFf = ff.dWeights();
        }

        // s = h + Dropout(SRWM(softmax(h)) W_out)
        SrwmSublayer.Grads srwm = SrwmSublayer.backward(kernel, config.heads(), t.srwm, p.wOut(), ds, gradFinalState);
        INDArray dh = ds.add(srwm.dx());                                // (N, D)

        Params dParams = new Params(srwm.srwm().dWeights(), srwm.dWOut(), dFf);
        return new Gradients(dh.reshape('c', batch, steps, config.width()), dParams, srwm.srwm().dInitialState());
    }

    private void check(Params p, DataType type) {
        long d = config.width();
        long e = config.headSize();
        FeedForward.Shapes.require("SRWM RL block weights", p.weights(), config.heads(), e, 3 * e + 4);
        FeedForward.Shapes.require("SRWM RL block w_out", p.wOut(), d, d);
        Heads.requireType("SRWM RL block weights", p.weights(), type);
        Heads.requireType("SRWM RL block w_out", p.wOut(), type);
        if (config.ffSize() > 0) {
            if (p.ff() == null) {
                throw new IllegalArgumentException("SRWM RL block with ffSize " + config.ffSize()
                        + " needs feed-forward weights, got none");
            }
            FeedForward.Weights f = p.ff().check(d, config.ffSize());
            for (INDArray a : new INDArray[] {f.lnGamma(), f.lnBeta(), f.w1(), f.b1(), f.w2(), f.b2()}) {
                Heads.requireType("SRWM RL block feed-forward parameter", a, type);
            }
        } else if (p.ff() != null) {
            throw new IllegalArgumentException("SRWM RL block with ffSize 0 takes no feed-forward weights");
        }
    }
}
