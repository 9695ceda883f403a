package io.srwmspark.workers.nn;

import io.srwmspark.workers.rng.DropoutSeed;
import io.srwmspark.workers.deltanet.DeltaRule;
import java.util.Objects;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One Delta Net block, the fast-weight baseline of the few-shot model (Irie et al., ICML 2022, after Schlag et
 * al., ICML 2021; docs/DESIGN.md section 2), on h (B, T, D), D = H E, rows N = B T:
 * <pre>
 *   n   = LayerNorm(h; ln1)                                                       (N, D)
 *   z   = n W_slow                                                                (N, H(3E+1))  no bias
 *   a   = DeltaRule(z seen as (B, T, H, 3E+1))                                    (N, D)
 *   s   = h + Dropout(a W_out; m1)                                                (N, D)   W_out (D, D), no bias
 *   out = s + Dropout(Dropout(ReLU(LayerNorm(s; ln2) W1 + b1); m2) W2 + b2; m3)  (N, D)   see {@link FeedForward}
 * </pre>
 * Per head, z splits into [q~ | k~ | v | beta~]; {@link DeltaRule} turns q~, k~ into sum-normalised elu+1
 * features and beta~ into sigmoid(beta~), and runs the delta rule on fast weights that start at 0 for every
 * sequence (or at a given initial state), reading out q M after each update. Unlike the SRWM block, the residual
 * is the raw h (the paper code's FastFFlayer). Dropout masks m1 (N, D), m2 (N, F), m3 (N, D) are drawn at
 * sites 0, 1, 2 from the {@link DropoutSeed}, as in {@link SrwmBlock}.
 *
 * <p>Backward, with g = dL/dout:
 * <pre>
 *   ds = FeedForward'(g)     dp = ds m1     dW_out = a^T dp     da = dp W_out^T
 *   dz = DeltaRule'(da)      dW_slow = n^T dz     dh = ds + LayerNorm1'(dz W_slow^T)
 * </pre>
 * With a (B, T) step mask, a masked step's output is 0 and passes no gradient; it leaves the fast weights
 * untouched. Parameters: D H(3E+1) + D^2 + 2D + the feed-forward's 2DF + F + 3D ({@link Config#parameterCount()}).
 */
public final class DeltaNetBlock {

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
                throw new IllegalArgumentException("Delta Net block needs heads, headSize and ffSize >= 1, got H = "
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

        /** Columns of the slow projection: H (3E + 1). */
        public int projectionWidth() {
            return heads * (3 * headSize + 1);
        }

        /** Trainable parameters of one block. */
        public long parameterCount() {
            long d = width();
            return d * projectionWidth() + d * d + 2 * d + Init.feedForwardCount(d, ffSize);
        }
    }

    /**
     * Parameters of a block, or their gradients. Arrays are held, not copied: callers must not change them
     * during a call.
     *
     * @param ln1Gamma (D) scale of the layer norm before the slow projection
     * @param ln1Beta  (D) its shift
     * @param wSlow    (D, H(3E+1)) slow projection, stored (in, out); columns per head [q | k | v | beta]
     * @param wOut     (D, D) output projection, stored (in, out)
     * @param ff       the feed-forward sublayer
     */
    public record Params(INDArray ln1Gamma, INDArray ln1Beta, INDArray wSlow, INDArray wOut,
            FeedForward.Weights ff) {

        public Params {
            Objects.requireNonNull(ln1Gamma, "ln1Gamma");
            Objects.requireNonNull(ln1Beta, "ln1Beta");
            Objects.requireNonNull(wSlow, "wSlow");
            Objects.requireNonNull(wOut, "wOut");
            Objects.requireNonNull(ff, "ff");
        }
    }

    /**
     * Result of {@link #forward}.
     *
     * @param out        (B, T, D) block output
     * @param finalState (B, H, E, E) fast weights M after the last step (rows keys, columns values)
     * @param tape       what backward needs; null for an inference forward
     */
    public record Forward(INDArray out, INDArray finalState, Tape tape) {

        /** Drops the delta rule's tape; this forward cannot be backpropagated afterwards. */
        public void release() {
            if (tape != null && tape.rule.tape() != null) {
                tape.rule.tape().release();
            }
        }
    }

    /**
     * Gradients of a scalar loss.
     *
     * @param dh            (B, T, D) dL/dh
     * @param dParams       dL/d(every parameter)
     * @param dInitialState (B, H, E, E) dL/d(initial state), or null when the forward had none
     */
    public record Gradients(INDArray dh, Params dParams, INDArray dInitialState) {
    }

    /** Opaque forward state kept for backward: activations, dropout masks and the delta rule's tape. */
    public static final class Tape {
        private final DeltaRule.Input ruleInput;
        private final DeltaRule.Output rule;
        private final LayerNorm.Tape ln1;
        private final INDArray n;                 // (N, D) LayerNorm(h)
        private final INDArray a;                 // (N, D) delta-rule output rows
        private final INDArray drop1;             // (N, D) or null
        private final FeedForward.Tape ff;
        private final INDArray rowMask;           // (N, 1) or null

        private Tape(DeltaRule.Input ruleInput, DeltaRule.Output rule, LayerNorm.Tape ln1, INDArray n, INDArray a,
                INDArray drop1, FeedForward.Tape ff, INDArray rowMask) {
            this.ruleInput = ruleInput;
            this.rule = rule;
            this.ln1 = ln1;
            this.n = n;
            this.a = a;
            this.drop1 = drop1;
            this.ff = ff;
            this.rowMask = rowMask;
        }
    }

    private final Config config;
    private final DeltaRule rule;

    public DeltaNetBlock(Config config, DeltaRule rule) {
        this.config = Objects.requireNonNull(config, "config");
        this.rule = Objects.requireNonNull(rule, "rule");
    }

    public Config config() {
        return config;
    }

    /**
     * Initial parameters, a pure function of the seed: layer-norm gammas 1 and betas 0; W_slow, W_out and the
     * feed-forward's W1, W2 Xavier uniform (in that order from {@code new SplittableRandom(seed)}); biases 0.
     */
    public static Params init(Config config, DataType type, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        long d = config.width();
        INDArray wSlow = Init.xavier(rng, type, d, config.projectionWidth());
        INDArray wOut = Init.xavier(rng, type, d, d);
        FeedForward.Weights ff = Init.feedForward(rng, type, d, config.ffSize());
        return new Params(Nd4j.ones(type, d), Nd4j.zeros(type, d), wSlow, wOut, ff);
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
     * @param initialState (B, H, E, E) fast weights to start from, or null to start from 0
     * @param mask         (B, T) 1 for a real step, 0 for a padded one, or null
     * @param training     keep a tape for backward and apply dropout
     * @param dropoutSeed  where the dropout masks come from (unused when not training or the rate is 0)
     */
    public Forward forward(Params p, INDArray h, INDArray initialState, INDArray mask, boolean training,
            DropoutSeed dropoutSeed) {
        int d = config.width();
        INDArray rows = Heads.rows("Delta Net block", h, d);            // (N, D)
        long batch = h.size(0);
        long steps = h.size(1);
        long n = batch * steps;
        DataType type = h.dataType();
        check(p, type);
        INDArray rowMask = Heads.rowMask("Delta Net block", mask, batch, steps, type);  // (N, 1)
        DropoutSeed drops = training && config.dropout() > 0 ? dropoutSeed : null;

        // z = LayerNorm(h) W_slow;  a = DeltaRule(z)
        LayerNorm.Result ln1 = LayerNorm.forward(rows, p.ln1Gamma(), p.ln1Beta(), config.lnEps());
        INDArray z = ln1.y().mmul(p.wSlow());                           // (N, H(3E+1))
        DeltaRule.Input in = new DeltaRule.Input(
                z.reshape('c', batch, steps, config.heads(), 3L * config.headSize() + 1), initialState,
                rowMask == null ? null : rowMask.reshape('c', batch, steps));
        DeltaRule.Output o = rule.forward(in, training);
        INDArray a = o.y().reshape('c', n, d);                          // (N, D)

        // s = h + Dropout(a W_out)
        INDArray drop1 = Dropout.mask(drops, 0, config.dropout(), type, n, d);
        INDArray s = rows.add(Dropout.apply(a.mmul(p.wOut()), drop1));  // (N, D)

        // out = s + FF(s)
        INDArray drop2 = Dropout.mask(drops, 1, config.dropout(), type, n, config.ffSize());
        INDArray drop3 = Dropout.mask(drops, 2, config.dropout(), type, n, d);
        FeedForward.Result ff = FeedForward.forward(p.ff(), s, config.lnEps(), drop2, drop3);
        INDArray out = ff.out();                                        // (N, D)
        if (rowMask != null) {
            out.muliColumnVector(rowMask);
        }
        Tape tape = training ? new Tape(in, o, ln1.tape(), ln1.y(), a, drop1, ff.tape(), rowMask) : null;
        return new Forward(out.reshape('c', batch, steps, d), o.finalState(), tape);
    }

    /**
     * Backpropagates through a training forward.
     *
     * @param p              the parameters the forward used
     * @param fwd            the forward's result
     * @param gradOut        (B, T, D) dL/dout
     * @param gradFinalState (B, H, E, E) dL/d(final state), or null when it does not enter the loss
     */
    public Gradients backward(Params p, Forward fwd, INDArray gradOut, INDArray gradFinalState) {
        Tape t = fwd.tape();
        if (t == null) {
            throw new IllegalStateException("Delta Net block backward needs a forward run with training = true");
        }
        INDArray out = fwd.out();
        long batch = out.size(0);
        long steps = out.size(1);
        int d = config.width();
        INDArray g = Heads.gradRows("Delta Net block", gradOut, out);  // (N, D)
        if (t.rowMask != null) {
            g = g.mulColumnVector(t.rowMask);
        }
        FeedForward.Grads ff = FeedForward.backward(p.ff(), t.ff, g);
        INDArray ds = ff.ds();                                          // (N, D)

        // s = h + Dropout(a W_out)
        INDArray dp = Dropout.apply(ds, t.drop1);                       // (N, D)
        INDArray dWOut = Nd4j.gemm(t.a, dp, true, false);               // (D, D)
        INDArray da = Nd4j.gemm(dp, p.wOut(), false, true);             // (N, D)

        // a = DeltaRule(n W_slow)
        DeltaRule.Gradients rg = rule.backward(t.ruleInput, t.rule,
                da.reshape('c', batch, steps, config.heads(), config.headSize()), gradFinalState);
        INDArray dz = rg.dx().reshape('c', batch * steps, config.projectionWidth());  // (N, H(3E+1))
        INDArray dWSlow = Nd4j.gemm(t.n, dz, true, false);              // (D, H(3E+1))
        INDArray dn = Nd4j.gemm(dz, p.wSlow(), false, true);            // (N, D)
        LayerNorm.Grads ln1 = LayerNorm.backward(dn, p.ln1Gamma(), t.ln1);
        INDArray dh = ds.add(ln1.dx());                                 // (N, D)

        Params dParams = new Params(ln1.dGamma(), ln1.dBeta(), dWSlow, dWOut, ff.dWeights());
        return new Gradients(dh.reshape('c', batch, steps, d), dParams, rg.dInitialState());
    }

    private void check(Params p, DataType type) {
        long d = config.width();
        FeedForward.Shapes.require("Delta Net block ln1 gamma", p.ln1Gamma(), d);
        FeedForward.Shapes.require("Delta Net block ln1 beta", p.ln1Beta(), d);
        FeedForward.Shapes.require("Delta Net block w_slow", p.wSlow(), d, config.projectionWidth());
        FeedForward.Shapes.require("Delta Net block w_out", p.wOut(), d, d);
        p.ff().check(d, config.ffSize());
        for (INDArray a : new INDArray[] {p.ln1Gamma(), p.ln1Beta(), p.wSlow(), p.wOut(), p.ff().lnGamma(),
                p.ff().lnBeta(), p.ff().w1(), p.ff().b1(), p.ff().w2(), p.ff().b2()}) {
            Heads.requireType("Delta Net block parameter", a, type);
        }
    }
}
