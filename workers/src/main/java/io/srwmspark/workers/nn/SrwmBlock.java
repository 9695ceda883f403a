package io.srwmspark.workers.nn;

import io.srwmspark.workers.rng.DropoutSeed;
import io.srwmspark.workers.srwm.SrwmKernel;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One SRWM block of the few-shot model (Irie et al., ICML 2022, section 2 of docs/DESIGN.md), on h (B, T, D),
 * D = H E, rows n = B T:
 * <pre>
 *   a   = SRWM(h seen as (B, H, T, E))                                          (N, D)
 *   s   = LayerNorm(h; ln1) + Dropout(a W_out; m1)                                (N, D)   W_out (D, D), no bias
 *   out = s + Dropout(Dropout(ReLU(LayerNorm(s; ln2) W1 + b1); m2) W2 + b2; m3)  (N, D)   see {@link FeedForward}
 * </pre>
 * The SRWM input is the raw h; the residual branch is LayerNorm(h). Layer norm uses the biased variance and
 * {@link Config#lnEps()}. Dropout is inverted dropout with masks m1 (N, D), m2 (N, F), m3 (N, D) drawn at sites
 * 0, 1, 2 from the {@link DropoutSeed} (row by row, so a row's mask does not depend on its batch) and kept for
 * backward.
 *
 * <p>Backward, with g = dL/dout:
 * <pre>
 *   ds = FeedForward'(g)           dp = ds m1      dW_out = a^T dp     da = dp W_out^T
 *   dh = LayerNorm1'(ds) + SRWM'(da)
 * </pre>
 * With a (B, T) step mask, a masked step's output is 0 and passes no gradient; it leaves the fast weights
 * untouched. With an initial state (B, H, E, 3E+4) the fast weights start from it instead of W_0 (a stateful
 * caller carries {@link Forward#finalState()} into its next call); the SRWM gradient then goes to the initial
 * state and dW_0 is zero, as {@link SrwmKernel#backward} defines.
 */
public final class SrwmBlock {

    /** Layer-norm epsilon of the paper's code. */
    public static final double DEFAULT_LN_EPS = 1e-5;

    /**
     * Sizes and rates of a block.
     *
     * @param heads    H
     * @param headSize E (D = H E)
     * @param ffSize   F, hidden size of the feed-forward sublayer
     * @param dropout  dropout rate of the three dropout sites, in [0, 1)
     * @param lnEps    layer-norm epsilon, &gt; 0
     */
    public record Config(int heads, int headSize, int ffSize, double dropout, double lnEps) {

        public Config {
            if (heads < 1 || headSize < 1 || ffSize < 1) {
                throw new IllegalArgumentException("SRWM block needs heads, headSize and ffSize >= 1, got H = " + heads
                        + ", E = " + headSize + ", F = " + ffSize);
            }
            Dropout.checkRate(dropout);
            if (!(lnEps > 0)) {
                throw new IllegalArgumentException("layer-norm epsilon must be > 0, got " + lnEps);
            }
        }

        /** No dropout, layer-norm epsilon {@value SrwmBlock#DEFAULT_LN_EPS}. */
        public static Config of(int heads, int headSize, int ffSize) {
            return new Config(heads, headSize, ffSize, 0.0, DEFAULT_LN_EPS);
        }

        /** D = H E. */
        public int width() {
            return heads * headSize;
        }
    }

    /**
     * Parameters of a block, or their gradients. Arrays are held, not copied: callers must not change them
     * during a call.
     *
     * @param weights  (H, E, 3E+4) the SRWM's initial matrix W_0, packed [W_y|W_q|W_k|W_b]
     * @param wOut     (D, D) output projection, stored (in, out)
     * @param ln1Gamma (D) scale of the residual-branch layer norm
     * @param ln1Beta  (D) its shift
     * @param ff       the feed-forward sublayer (its layer norm is the paper code's ln2)
     */
    public record Params(INDArray weights, INDArray wOut, INDArray ln1Gamma, INDArray ln1Beta,
            FeedForward.Weights ff) {

        public Params {
            Objects.requireNonNull(weights, "weights");
            Objects.requireNonNull(wOut, "wOut");
            Objects.requireNonNull(ln1Gamma, "ln1Gamma");
            Objects.requireNonNull(ln1Beta, "ln1Beta");
            Objects.requireNonNull(ff, "ff");
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

    /** Opaque forward state kept for backward: per-row activations, dropout masks and the SRWM tape. */
    public static final class Tape {
        private final SrwmSublayer.Pass srwm;
        private final LayerNorm.Tape ln1;
        private final FeedForward.Tape ff;
        private final INDArray rowMask;           // (N, 1) or null

        private Tape(SrwmSublayer.Pass srwm, LayerNorm.Tape ln1, FeedForward.Tape ff, INDArray rowMask) {
            this.srwm = srwm;
            this.ln1 = ln1;
            this.ff = ff;
            this.rowMask = rowMask;
        }
    }

    private final Config config;
    private final SrwmKernel kernel;

    public SrwmBlock(Config config, SrwmKernel kernel) {
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
     * @param initialState (B, H, E, 3E+4) fast weights to start from, or null to start from W_0
     * @param mask         (B, T) 1 for a real step, 0 for a padded one, or null
     * @param training     keep a tape for backward and apply dropout
     * @param dropoutSeed  where the dropout masks come from (unused when not training or the rate is 0)
     */
    public Forward forward(Params p, INDArray h, INDArray initialState, INDArray mask, boolean training,
            DropoutSeed dropoutSeed) {
        int d = config.width();
        INDArray rows = Heads.rows("SRWM block", h, d);                 // (N, D)
        long batch = h.size(0);
        long steps = h.size(1);
        long n = batch * steps;
        DataType type = h.dataType();
        check(p, type);
        INDArray rowMask = Heads.rowMask("SRWM block", mask, batch, steps, type);  // (N, 1)
        DropoutSeed drops = training && config.dropout() > 0 ? dropoutSeed : null;

        // s = LayerNorm(h; ln1) + Dropout(SRWM(h) W_out)
        SrwmSublayer.Pass srwm = SrwmSublayer.forward(kernel, config.heads(), h, p.weights(), p.wOut(),
                initialState, rowMask, false, training, drops, config.dropout());
        LayerNorm.Result ln1 = LayerNorm.forward(rows, p.ln1Gamma(), p.ln1Beta(), config.lnEps());
        INDArray s = ln1.y().addi(srwm.out());                          // (N, D)

        // out = s + FF(s)
        INDArray drop2 = Dropout.mask(drops, 1, config.dropout(), type, n, config.ffSize());
        INDArray drop3 = Dropout.mask(drops, 2, config.dropout(), type, n, d);
        FeedForward.Result ff = FeedForward.forward(p.ff(), s, config.lnEps(), drop2, drop3);
        INDArray out = ff.out();                                        // (N, D)
        if (rowMask != null) {
            out.muliColumnVector(rowMask);
        }
        Tape tape = training ? new Tape(srwm, ln1.tape(), ff.tape(), rowMask) : null;
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
            throw new IllegalStateException("SRWM block backward needs a forward run with training = true");
        }
        INDArray out = fwd.out();
        long batch = out.size(0);
        long steps = out.size(1);
        INDArray g = Heads.gradRows("SRWM block", gradOut, out);       // (N, D)
        if (t.rowMask != null) {
            g = g.mulColumnVector(t.rowMask);
        }
        FeedForward.Grads ff = FeedForward.backward(p.ff(), t.ff, g);
        INDArray ds = ff.ds();                                          // (N, D)

        // s = LayerNorm(h; ln1) + Dropout(SRWM(h) W_out)
        LayerNorm.Grads ln1 = LayerNorm.backward(ds, p.ln1Gamma(), t.ln1);
        SrwmSublayer.Grads srwm = SrwmSublayer.backward(kernel, config.heads(), t.srwm, p.wOut(), ds,
                gradFinalState);
        INDArray dh = ln1.dx().addi(srwm.dx());                         // (N, D)

        Params dParams = new Params(srwm.srwm().dWeights(), srwm.dWOut(), ln1.dGamma(), ln1.dBeta(), ff.dWeights());
        return new Gradients(dh.reshape('c', batch, steps, config.width()), dParams, srwm.srwm().dInitialState());
    }

    private void check(Params p, DataType type) {
        long d = config.width();
        long e = config.headSize();
        FeedForward.Shapes.require("SRWM block weights", p.weights(), config.heads(), e, 3 * e + 4);
        FeedForward.Shapes.require("SRWM block w_out", p.wOut(), d, d);
        FeedForward.Shapes.require("SRWM block ln1 gamma", p.ln1Gamma(), d);
        FeedForward.Shapes.require("SRWM block ln1 beta", p.ln1Beta(), d);
        p.ff().check(d, config.ffSize());
        for (INDArray a : new INDArray[] {p.weights(), p.wOut(), p.ln1Gamma(), p.ln1Beta(), p.ff().lnGamma(),
                p.ff().lnBeta(), p.ff().w1(), p.ff().b1(), p.ff().w2(), p.ff().b2()}) {
            Heads.requireType("SRWM block parameter", a, type);
        }
    }
}
