package io.srwmspark.workers.nn;

import io.srwmspark.workers.rng.DropoutSeed;
import java.util.Objects;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One LSTM block, the recurrent baseline of the few-shot model (Irie et al., ICML 2022; docs/DESIGN.md section 2),
 * on h (B, T, D), rows N = B T, an LSTM layer of hidden size D ({@code Lstm}: gates [i | f | o | g], one bias).
 * Two wirings, chosen by {@link Config#residual()}:
 * <pre>
 *   residual (default):  s = h + Dropout(LSTM(LayerNorm(h; ln1)); m1)        like the SRWM and Delta Net blocks
 *   plain:               s = Dropout(LSTM(h); m1)                             the paper's nn.LSTM layer
 *   then                 out = s + FF(s)  when F &gt; 0, else out = s           FF: the pre-LN {@link FeedForward}
 * </pre>
 * The paper's LSTM baseline is a plain stack (one layer of hidden size 1024 in its Mini-ImageNet runs) between
 * the input features and the output layer, with no layer norm, residual or feed-forward: a stack of plain blocks
 * with F = 0 ({@link Config#plain}) is that model, up to the few-shot model's input projection. The residual
 * block with F &gt; 0 ({@link Config#of}) has the same pre-LN residual sublayer and feed-forward as the two
 * fast-weight blocks, for a like-for-like comparison in the same model. There is no output projection W_out: the
 * LSTM already maps D to D and its output gate scales what enters the residual, and a W_out would add D^2
 * parameters to the largest of the three blocks. Parameters: 4D(2D+1), plus 2D for the layer norm (residual)
 * and 2DF + F + 3D for the feed-forward ({@link Config#parameterCount()}).
 *
 * <p>Dropout masks m1 (N, D) and, with the feed-forward, m2 (N, F), m3 (N, D) are drawn at sites 0, 1, 2 from
 * the {@link DropoutSeed}. The state is (B, 2, D): [h | c] of the LSTM, zero when no initial
 * state is given. A masked step outputs 0, passes no gradient and carries the state through unchanged.
 *
 * <p>Backward, with g = dL/dout: ds = FF'(g) (or g); da = ds m1; dx = LSTM'(da) (BPTT, {@code Lstm});
 * dh = ds + LayerNorm1'(dx) (residual) or dh = dx (plain).
 */
public final class LstmBlock {

    /**
     * Sizes and rates of a block.
     *
     * @param width    D, input, hidden and output size
     * @param ffSize   F, hidden size of the feed-forward sublayer, 0 for none
     * @param dropout  dropout rate of every dropout site, in [0, 1)
     * @param lnEps    layer-norm epsilon, &gt; 0
     * @param residual pre-LN residual wiring (true) or the plain LSTM layer (false)
     */
    public record Config(int width, int ffSize, double dropout, double lnEps, boolean residual) {

        public Config {
            if (width < 1 || ffSize < 0) {
                throw new IllegalArgumentException("LSTM block needs width >= 1 and ffSize >= 0, got D = " + width
                        + ", F = " + ffSize);
            }
            Dropout.checkRate(dropout);
            if (!(lnEps > 0)) {
                throw new IllegalArgumentException("layer-norm epsilon must be > 0, got " + lnEps);
            }
        }

        /** Residual wiring with a feed-forward of size F, no dropout, layer-norm epsilon 1e-5. */
        public static Config of(int width, int ffSize) {
            return new Config(width, ffSize, 0.0, SrwmBlock.DEFAULT_LN_EPS, true);
        }

        /** The paper's plain LSTM layer: no layer norm, residual or feed-forward. */
        public static Config plain(int width, double dropout) {
            return new Config(width, 0, dropout, SrwmBlock.DEFAULT_LN_EPS, false);
        }

        /** Trainable parameters of one block. */
        public long parameterCount() {
            long d = width;
            long ff = ffSize > 0 ? Init.feedForwardCount(d, ffSize) : 0;
            return 4 * d * (2 * d + 1) + (residual ? 2 * d : 0) + ff;
        }
    }

    /**
     * Parameters of a block, or their gradients. Arrays are held, not copied.
     *
     * @param wx       (D, 4D) input weights, stored (in, out), gate blocks [i | f | o | g]
     * @param wh       (D, 4D) recurrent weights, same layout
     * @param bias     (4D) gate bias
     * @param ln1Gamma (D) scale of the layer norm before the LSTM, null in the plain wiring
     * @param ln1Beta  (D) its shift, null in the plain wiring
     * @param ff       the feed-forward sublayer, null when F = 0
     */
    public record Params(INDArray wx, INDArray wh, INDArray bias, INDArray ln1Gamma, INDArray ln1Beta,
            FeedForward.Weights ff) {

        public Params {
            Objects.requireNonNull(wx, "wx");
            Objects.requireNonNull(wh, "wh");
            Objects.requireNonNull(bias, "bias");
        }
    }

    /**
     * Result of {@link #forward}.
     *
     * @param out        (B, T, D) block output
     * @param finalState (B, 2, D) [h | c] after the last step
     * @param tape       what backward needs; null for an inference forward
     */
    public record Forward(INDArray out, INDArray finalState, Tape tape) {

        /** Drops the tape; this forward cannot be backpropagated afterwards. */
        public void release() {
            if (tape != null) {
                tape.lstm = null;
            }
        }
    }

    /**
     * Gradients of a scalar loss.
     *
     * @param dh            (B, T, D) dL/dh
     * @param dParams       dL/d(every parameter), null where the parameter is
     * @param dInitialState (B, 2, D) dL/d(initial state), or null when the forward had none
     */
    public record Gradients(INDArray dh, Params dParams, INDArray dInitialState) {
    }

    /** Opaque forward state kept for backward. */
    public static final class Tape {
        private Lstm.Tape lstm;
        private final LayerNorm.Tape ln1;         // or null
        private final INDArray drop1;             // (N, D) or null
        private final FeedForward.Tape ff;        // or null
        private final INDArray rowMask;           // (N, 1) or null
        private final boolean hasInitialState;

        private Tape(Lstm.Tape lstm, LayerNorm.Tape ln1, INDArray drop1, FeedForward.Tape ff, INDArray rowMask,
                boolean hasInitialState) {
            this.lstm = lstm;
            this.ln1 = ln1;
            this.drop1 = drop1;
            this.ff = ff;
            this.rowMask = rowMask;
            this.hasInitialState = hasInitialState;
        }
    }

    private final Config config;

    public LstmBlock(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public Config config() {
        return config;
    }

    /**
     * Initial parameters, a pure function of the seed: W_x and W_h U(-1/sqrt(D), 1/sqrt(D)) (PyTorch's LSTM
     * default), then the feed-forward's W1 and W2 Xavier uniform, in that order from
     * {@code new SplittableRandom(seed)}; gate bias 0 except the forget gate's 1; layer-norm gammas 1, betas 0.
     */
    public static Params init(Config config, DataType type, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        long d = config.width();
        double bound = 1.0 / Math.sqrt(d);
        INDArray wx = Init.uniform(rng, type, bound, d, 4 * d);
        INDArray wh = Init.uniform(rng, type, bound, d, 4 * d);
        INDArray bias = Nd4j.zeros(type, 4 * d);
        bias.get(NDArrayIndex.interval(d, 2 * d)).assign(1.0);
        FeedForward.Weights ff = config.ffSize() > 0 ? Init.feedForward(rng, type, d, config.ffSize()) : null;
        return config.residual()
                ? new Params(wx, wh, bias, Nd4j.ones(type, d), Nd4j.zeros(type, d), ff)
                : new Params(wx, wh, bias, null, null, ff);
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
     * @param initialState (B, 2, D) [h | c] to start from, or null for zeros
     * @param mask         (B, T) 1 for a real step, 0 for a padded one, or null
     * @param training     keep a tape for backward and apply dropout
     * @param dropoutSeed  where the dropout masks come from (unused when not training or the rate is 0)
     */
    public Forward forward(Params p, INDArray h, INDArray initialState, INDArray mask, boolean training,
            DropoutSeed dropoutSeed) {
        int d = config.width();
        INDArray rows = Heads.rows("LSTM block", h, d);                 // (N, D)
        long batch = h.size(0);
        long steps = h.size(1);
        long n = batch * steps;
        DataType type = h.dataType();
        check(p, type);
        INDArray rowMask = Heads.rowMask("LSTM block", mask, batch, steps, type);  // (N, 1)
        if (initialState != null) {
            FeedForward.Shapes.require("LSTM block initial state", initialState, batch, 2, d);
            Heads.requireType("LSTM block initial state", initialState, type);
        }
        DropoutSeed drops = training && config.dropout() > 0 ? dropoutSeed : null;

        // a = LSTM(LayerNorm(h)) or LSTM(h)
        LayerNorm.Result ln1 = config.residual()
                ? LayerNorm.forward(rows, p.ln1Gamma(), p.ln1Beta(), config.lnEps()) : null;
        INDArray x = timeMajor(config.residual() ? ln1.y() : rows, batch, steps);  // (T, B, D)
        INDArray h0 = initialState == null ? Nd4j.zeros(type, batch, d) : state(initialState, 0);
        INDArray c0 = initialState == null ? Nd4j.zeros(type, batch, d) : state(initialState, 1);
        INDArray maskTB = rowMask == null ? null : rowMask.reshape('c', batch, steps).transpose().dup('c');  // (T, B)
        Lstm.Result lstm = Lstm.forward(x, p.wx(), p.wh(), p.bias(), h0, c0, maskTB);
        INDArray a = batchMajor(lstm.y());                              // (N, D)

        // s = h + Dropout(a) or Dropout(a)
        INDArray drop1 = Dropout.mask(drops, 0, config.dropout(), type, n, d);
        INDArray s = Dropout.apply(a, drop1);                           // (N, D)
        if (config.residual()) {
            s = s.add(rows);
        }

        // out = s + FF(s)
        INDArray out = s;                                               // s is a fresh array: mask it in place
        FeedForward.Tape ffTape = null;
        if (config.ffSize() > 0) {
            INDArray drop2 = Dropout.mask(drops, 1, config.dropout(), type, n, config.ffSize());
            INDArray drop3 = Dropout.mask(drops, 2, config.dropout(), type, n, d);
            FeedForward.Result ff = FeedForward.forward(p.ff(), s, config.lnEps(), drop2, drop3);
            out = ff.out();
            ffTape = ff.tape();
        }
        if (rowMask != null) {
            out.muliColumnVector(rowMask);
        }
        INDArray finalState = Nd4j.stack(1, lstm.hLast(), lstm.cLast());  // (B, 2, D)
        Tape tape = training ? new Tape(lstm.tape(), ln1 == null ? null : ln1.tape(), drop1, ffTape, rowMask,
                initialState != null) : null;
        return new Forward(out.reshape('c', batch, steps, d), finalState, tape);
    }

    /**
     * Backpropagates through a training forward.
     *
     * @param p              the parameters the forward used
     * @param fwd            the forward's result
     * @param gradOut        (B, T, D) dL/dout
     * @param gradFinalState (B, 2, D) dL/d(final state), or null when it does not enter the loss
     */
    public Gradients backward(Params p, Forward fwd, INDArray gradOut, INDArray gradFinalState) {
        Tape t = fwd.tape();
        if (t == null || t.lstm == null) {
            throw new IllegalStateException("LSTM block backward needs a forward run with training = true"
                    + (t == null ? "" : " whose tape was not released"));
        }
        INDArray out = fwd.out();
        long batch = out.size(0);
        long steps = out.size(1);
        int d = config.width();
        INDArray g = Heads.gradRows("LSTM block", gradOut, out);       // (N, D)
        if (gradFinalState != null) {
            FeedForward.Shapes.require("LSTM block gradFinalState", gradFinalState, batch, 2, d);
            Heads.requireType("LSTM block gradFinalState", gradFinalState, out.dataType());
        }
        if (t.rowMask != null) {
            g = g.mulColumnVector(t.rowMask);
        }
        FeedForward.Grads ff = config.ffSize() > 0 ? FeedForward.backward(p.ff(), t.ff, g) : null;
        INDArray ds = ff == null ? g : ff.ds();                         // (N, D)
        INDArray da = Dropout.apply(ds, t.drop1);                       // (N, D)

        Lstm.Grads lg = Lstm.backward(p.wx(), p.wh(), t.lstm, timeMajor(da, batch, steps),
                gradFinalState == null ? null : state(gradFinalState, 0),
                gradFinalState == null ? null : state(gradFinalState, 1));
        INDArray dx = batchMajor(lg.dx());                              // (N, D)
        INDArray dh;
        Params dParams;
        if (config.residual()) {
            LayerNorm.Grads ln1 = LayerNorm.backward(dx, p.ln1Gamma(), t.ln1);
            dh = ds.add(ln1.dx());
            dParams = new Params(lg.dWx(), lg.dWh(), lg.db(), ln1.dGamma(), ln1.dBeta(),
                    ff == null ? null : ff.dWeights());
        } else {
            dh = dx;
            dParams = new Params(lg.dWx(), lg.dWh(), lg.db(), null, null, ff == null ? null : ff.dWeights());
        }
        INDArray dState = t.hasInitialState ? Nd4j.stack(1, lg.dh0(), lg.dc0()) : null;
        return new Gradients(dh.reshape('c', batch, steps, d), dParams, dState);
    }

    /** Rows (B*T, D), row b*T + t, to a c-ordered (T, B, D) copy. */
    private static INDArray timeMajor(INDArray rows, long batch, long steps) {
        return rows.reshape('c', batch, steps, rows.size(1)).permute(1, 0, 2).dup('c');
    }

    /** (T, B, D) to c-ordered rows (B*T, D), row b*T + t. */
    private static INDArray batchMajor(INDArray tbd) {
        return tbd.permute(1, 0, 2).dup('c').reshape('c', tbd.size(0) * tbd.size(1), tbd.size(2));
    }

    /** Part k (0 = h, 1 = c) of a (B, 2, D) state, as a c-ordered (B, D) copy. */
    private static INDArray state(INDArray s, int k) {
        return s.get(NDArrayIndex.all(), NDArrayIndex.point(k), NDArrayIndex.all()).dup('c');
    }

    private void check(Params p, DataType type) {
        long d = config.width();
        FeedForward.Shapes.require("LSTM block wx", p.wx(), d, 4 * d);
        FeedForward.Shapes.require("LSTM block wh", p.wh(), d, 4 * d);
        FeedForward.Shapes.require("LSTM block bias", p.bias(), 4 * d);
        if (config.residual()) {
            FeedForward.Shapes.require("LSTM block ln1 gamma", p.ln1Gamma(), d);
            FeedForward.Shapes.require("LSTM block ln1 beta", p.ln1Beta(), d);
        } else if (p.ln1Gamma() != null || p.ln1Beta() != null) {
            throw new IllegalArgumentException("the plain LSTM block has no layer norm; pass null ln1Gamma and "
                    + "ln1Beta");
        }
        if (config.ffSize() > 0) {
            if (p.ff() == null) {
                throw new IllegalArgumentException("LSTM block with ffSize " + config.ffSize()
                        + " needs feed-forward weights, got null");
            }
            p.ff().check(d, config.ffSize());
        } else if (p.ff() != null) {
            throw new IllegalArgumentException("LSTM block with ffSize 0 has no feed-forward; pass null ff");
        }
        for (INDArray a : new INDArray[] {p.wx(), p.wh(), p.bias(), p.ln1Gamma(), p.ln1Beta()}) {
            if (a != null) {
                Heads.requireType("LSTM block parameter", a, type);
            }
        }
        if (p.ff() != null) {
            for (INDArray a : new INDArray[] {p.ff().lnGamma(), p.ff().lnBeta(), p.ff().w1(), p.ff().b1(),
                    p.ff().w2(), p.ff().b2()}) {
                Heads.requireType("LSTM block parameter", a, type);
            }
        }
    }
}
