package io.srwmspark.workers.cnn;

import io.srwmspark.workers.rng.DropoutSeed;
import io.srwmspark.workers.srwm.ArrayPool;
import java.util.Arrays;
import io.srwmspark.workers.concurrent.Parallel;
import java.util.concurrent.ForkJoinPool;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One float64 run of {@link Conv4Backbone}: the forward in the constructor, the tape in the fields, the backward
 * in {@link #backward}. Template of the generated float32 twin {@code Conv4F32} (see workers/pom.xml).
 *
 * <p>Per block b, with x the padded channel-last input, z the convolution output, y = BN(z):
 * <pre>
 *   forward, per chunk of images:  z = conv(x) + bias;  per-image mean, M2 of z
 *   per episode:                   mean, 1/sqrt(var + eps)
 *   per chunk:                     a = ReLU(Dropout(MaxPool(gamma xhat + beta)))  into the next block's x
 *   backward, per chunk:           gp = da * [a &gt; 0] / (1 - rate)   put at the window's first maximum: dy
 *                                  per-image sums of dy and dy xhat
 *   per episode:                   their means; dgamma, dbeta
 *   per chunk:                     dz = BN'(dy);  dW_chunk = x-patches dz;  dx = conv^T(dz);  dbias = 0
 *                                  (a per-channel shift before a per-episode batch norm changes nothing)
 *   in chunk order:                dW = sum of dW_chunk
 * </pre>
 * The tape keeps x, z and the episode statistics. The backward recomputes y of every window with the same
 * expression as the forward (so the same maximum, bit for bit) instead of storing an argmax; dropout masks are
 * not kept either: a = ReLU(m p) with m in {0, 1/(1-rate)} gives da/dp = m [a &gt; 0] from a alone. Channel loops
 * run on SIMD vectors (channels are padded to a multiple of the lane count).
 */
@SuppressWarnings("cast") // the casts are redundant here but needed in the generated float32 twin
final class Conv4F64 implements Conv4Backbone.Run {

    private static final int BLOCKS = Conv4Backbone.BLOCKS;
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private final Conv4Backbone.Config cfg;
    private final ForkJoinPool pool;
    private final ArrayPool arrays;
    private final PhaseTimes times;
    private final int n;
    private final int group;
    private final int groups;
    private final boolean training;
    private final double rate;
    private final double keep;
    private final DropoutSeed seed;
    private final ConvShape[] shapes = new ConvShape[BLOCKS];
    private final double[][] wt = new double[BLOCKS][];
    private final double[][] wf = new double[BLOCKS][];
    private final double[][] bias = new double[BLOCKS][];
    private final double[][] gamma = new double[BLOCKS][];
    private final double[][] beta = new double[BLOCKS][];
    private final double[][] x = new double[BLOCKS][];      // (N, H+2, W+2, cis) input of block b
    private final double[][] z = new double[BLOCKS][];      // (N, H, W, cop) convolution output of block b
    private final double[][] gMean = new double[BLOCKS][];  // (groups, cop)
    private final double[][] gInv = new double[BLOCKS][];   // (groups, cop) 1/sqrt(var + eps)
    private double[] out;                                    // (N, H/16, W/16, cop) output of the last block
    private final INDArray features;
    private boolean released;

    Conv4F64(Conv4Backbone.Config cfg, ForkJoinPool pool, ArrayPool arrays, PhaseTimes times,
            Conv4Backbone.Params p, INDArray images, int n, int group, boolean training, DropoutSeed seed) {
        long t0 = System.nanoTime();
        this.cfg = cfg;
        this.pool = pool;
        this.arrays = arrays;
        this.times = times;
        this.n = n;
        this.group = group;
        this.groups = n / group;
        this.training = training;
        this.rate = training ? (double) cfg.dropout() : (double) 0;
        this.keep = (double) (1.0 / (1.0 - rate));
        this.seed = seed;
        int lanes = ConvOpsF64.lanes();
        for (int b = 0; b < BLOCKS; b++) {
            int cin = b == 0 ? cfg.inChannels() : cfg.channels();
            int cis = b == 0 ? cfg.inChannels() : shapes[b - 1].cop;
            ConvShape s = new ConvShape(cfg.heightAt(b), cfg.widthAt(b), cin, cis, cfg.channels(), 3, lanes);
            shapes[b] = s;
            ConvBn u = p.blocks().get(b);
            double[] w = ConvOpsF64.toArray(u.weight());
            wt[b] = ConvOpsF64.wt(s, w);
            wf[b] = training && b > 0 ? ConvOpsF64.wf(s, w) : null;
            bias[b] = ConvOpsF64.pad(ConvOpsF64.toArray(u.bias()), s.cop);
            gamma[b] = ConvOpsF64.pad(ConvOpsF64.toArray(u.gamma()), s.cop);
            beta[b] = ConvOpsF64.pad(ConvOpsF64.toArray(u.beta()), s.cop);
        }
        ConvShape s0 = shapes[0];
        x[0] = arrays.takeDouble(ConvShape.length(n, s0.inImage), false);
        ConvOpsF64.padImages(images, n, cfg.inChannels(), s0.h, s0.w, x[0]);
        PhaseTimes.lap(times, "fwd.input", t0);
        for (int b = 0; b < BLOCKS; b++) {
            forwardBlock(b);
        }
        long t1 = System.nanoTime();
        this.features = toFeatures();
        PhaseTimes.lap(times, "fwd.output", t1);
    }

    @Override
    public INDArray features() {
        return features;
    }

    private void forwardBlock(int b) {
        long t0 = System.nanoTime();
        ConvShape s = shapes[b];
        int cop = s.cop;
        double[] zb = arrays.takeDouble(ConvShape.length(n, s.outImage), false);
        double[] mean = new double[n * cop];
        double[] m2 = new double[n * cop];
        double[] xb = x[b];
        Parallel.forEach(pool, s.chunks(n), ch -> {
            int i0 = ch * s.chunk;
            int cnt = Math.min(s.chunk, n - i0);
            ConvOpsF64.convForward(s, xb, i0, cnt, wt[b], bias[b], zb);
            for (int i = i0; i < i0 + cnt; i++) {
                ConvOpsF64.imageStats(zb, i, s.pixels, cop, mean, m2);
            }
        });
        t0 = PhaseTimes.lap(times, "fwd.block" + b + ".conv", t0);
        z[b] = zb;
        gMean[b] = new double[groups * cop];
        gInv[b] = new double[groups * cop];
        ConvOpsF64.groupStats(mean, m2, groups, group, s.pixels, cop, (double) cfg.bnEps(), gMean[b], gInv[b]);

        int ho = s.h / 2;
        int wo = s.w / 2;
        boolean last = b == BLOCKS - 1;
        double[] dest = arrays.takeDouble(ConvShape.length(n, last ? ho * wo * cop : (ho + 2) * (wo + 2) * cop),
                false);
        Parallel.forEach(pool, s.chunks(n), ch -> {
            int i0 = ch * s.chunk;
            for (int i = i0; i < Math.min(n, i0 + s.chunk); i++) {
                poolForward(b, i, dest, !last);
            }
        });
        if (last) {
            out = dest;
        } else {
            x[b + 1] = dest;
        }
        PhaseTimes.lap(times, "fwd.block" + b + ".bn-pool", t0);
        if (!training) {
            arrays.give(z[b]);
            arrays.give(x[b]);
            z[b] = null;
            x[b] = null;
        }
    }

    /** scale = gamma inv and shift = beta - mean scale of image i's episode, so that y = z scale + shift. */
    private void affine(int b, int i, double[] scale, double[] shift) {
        int cop = shapes[b].cop;
        int go = (i / group) * cop;
        for (int c = 0; c < cop; c++) {
            scale[c] = gamma[b][c] * gInv[b][go + c];
            shift[c] = beta[b][c] - gMean[b][go + c] * scale[c];
        }
    }

    /** a = ReLU(Dropout(MaxPool(y))) for image i of block b, y = z scale + shift, into dest (padded or not). */
    private void poolForward(int b, int i, double[] dest, boolean padded) {
        ConvShape s = shapes[b];
        int cop = s.cop;
        double[] zb = z[b];
        double[] scale = new double[cop];
        double[] shift = new double[cop];
        affine(b, i, scale, shift);
        DropoutStream drop = rate > 0 ? new DropoutStream(seed.rowSeed(b, i), rate) : null;
        double[] mask = new double[cop];                     // dropout multipliers of one pooled pixel
        int ho = s.h / 2;
        int wo = s.w / 2;
        int dw = padded ? wo + 2 : wo;
        int dImage = padded ? (ho + 2) * dw * cop : ho * wo * cop;
        if (padded) {
            ConvOpsF64.zeroBorder(dest, i, ho, wo, cop);
        }
        int row = s.w * cop;
        for (int py = 0; py < ho; py++) {
            for (int px = 0; px < wo; px++) {
                int q0 = i * s.outImage + (2 * py * s.w + 2 * px) * cop;
                int d = i * dImage + (padded ? (py + 1) * dw + px + 1 : py * wo + px) * cop;
                if (drop != null) {
                    for (int c = 0; c < s.cout; c++) {
                        mask[c] = drop.drop() ? (double) 0 : keep;
                    }
                }
                for (int v = 0; v < cop; v += L) {
                    DoubleVector sc = DoubleVector.fromArray(S, scale, v);
                    DoubleVector sh = DoubleVector.fromArray(S, shift, v);
                    DoubleVector y0 = DoubleVector.fromArray(S, zb, q0 + v).fma(sc, sh);
                    DoubleVector y1 = DoubleVector.fromArray(S, zb, q0 + cop + v).fma(sc, sh);
                    DoubleVector y2 = DoubleVector.fromArray(S, zb, q0 + row + v).fma(sc, sh);
                    DoubleVector y3 = DoubleVector.fromArray(S, zb, q0 + row + cop + v).fma(sc, sh);
                    DoubleVector m = y0.max(y1).max(y2.max(y3));
                    if (drop != null) {
                        m = m.mul(DoubleVector.fromArray(S, mask, v));
                    }
                    m.max((double) 0).intoArray(dest, d + v);
                }
            }
        }
    }

    /** The last block's (N, H/16, W/16, cop) output as (N, C H/16 W/16) features in C, H, W order. */
    private INDArray toFeatures() {
        ConvShape s = shapes[BLOCKS - 1];
        return ConvOpsF64.features(out, n, (s.h / 2) * (s.w / 2), s.cout, s.cop);
    }

    @Override
    public Conv4Backbone.Params backward(INDArray dFeatures) {
        if (released) {
            throw new IllegalStateException("Conv-4 backward ran already (or the tape was released): run forward "
                    + "again");
        }
        ConvShape sl = shapes[BLOCKS - 1];
        int hw = (sl.h / 2) * (sl.w / 2);
        double[] da = arrays.takeDouble(ConvShape.length(n, hw * sl.cop), true);
        ConvOpsF64.fromFeatures(dFeatures, da, n, hw, sl.cout, sl.cop);
        ConvBn[] grads = new ConvBn[BLOCKS];
        for (int b = BLOCKS - 1; b >= 0; b--) {
            double[] next = b > 0 ? arrays.takeDouble(ConvShape.length(n, shapes[b].pixels * shapes[b].cis), false)
                    : null;
            grads[b] = backwardBlock(b, da, next);
            arrays.give(da);
            da = next;
        }
        release();
        return new Conv4Backbone.Params(Arrays.asList(grads));
    }

    /** Backpropagates da (gradient of block b's output) through block b; writes dx into {@code dx} if non-null. */
    private ConvBn backwardBlock(int b, double[] da, double[] dx) {
        long t0 = System.nanoTime();
        ConvShape s = shapes[b];
        int cop = s.cop;
        double[] a = b == BLOCKS - 1 ? out : x[b + 1];
        boolean padded = b < BLOCKS - 1;
        double[] d = arrays.takeDouble(ConvShape.length(n, s.dzImage), false);  // dy, then dz in place
        double[] sdy = new double[n * cop];
        double[] sdyx = new double[n * cop];
        Parallel.forEach(pool, s.chunks(n), ch -> {
            int i0 = ch * s.chunk;
            for (int i = i0; i < Math.min(n, i0 + s.chunk); i++) {
                unpool(b, i, da, a, padded, d);
                ConvOpsF64.dySums(s, z[b], d, i, i / group, gMean[b], gInv[b], sdy, sdyx);
            }
        });
        t0 = PhaseTimes.lap(times, "bwd.block" + b + ".unpool", t0);
        double[] mdy = new double[groups * cop];
        double[] mdyx = new double[groups * cop];
        double[] dGamma = new double[cop];
        double[] dBeta = new double[cop];
        ConvOpsF64.bnGroupGrads(sdy, sdyx, groups, group, s.pixels, cop, mdy, mdyx, dGamma, dBeta);

        int chunks = s.chunks(n);
        double[][] partial = new double[chunks][s.kRows() * cop];
        Parallel.forEach(pool, chunks, ch -> {
            int i0 = ch * s.chunk;
            int cnt = Math.min(s.chunk, n - i0);
            for (int i = i0; i < i0 + cnt; i++) {
                ConvOpsF64.bnDz(s, z[b], d, i, i / group, gMean[b], gInv[b], gamma[b], mdy, mdyx, null);
            }
            ConvOpsF64.convWeightGrad(s, x[b], d, i0, cnt, partial[ch]);
            if (dx != null) {
                ConvOpsF64.convInputGrad(s, d, i0, cnt, wf[b], dx);
            }
        });
        t0 = PhaseTimes.lap(times, "bwd.block" + b + ".bn-conv", t0);
        arrays.give(d);
        double[] dwt = ConvOpsF64.sumPartials(pool, partial);
        int co = s.cout;
        PhaseTimes.lap(times, "bwd.block" + b + ".sum", t0);
        // The conv bias feeds a batch norm over each episode, which removes any per-channel shift: its gradient is
        // identically zero (the sum of dz is rounding noise, which Adam's tiny eps would turn into full-size
        // steps that differ with the summation order, i.e. with the sharding of a data-parallel step).
        return new ConvBn(ConvOpsF64.torchGrad(s, dwt), ConvOpsF64.array(new double[co], co),
                ConvOpsF64.array(Arrays.copyOf(dGamma, co), co),
                ConvOpsF64.array(Arrays.copyOf(dBeta, co), co));
    }

    /**
     * dy of image i of block b into the padded buffer d: the gradient of each pooled value, gated by ReLU and
     * dropout (da [a &gt; 0] / (1 - rate)), at its window's first maximum, zero elsewhere.
     */
    private void unpool(int b, int i, double[] da, double[] a, boolean padded, double[] d) {
        ConvShape s = shapes[b];
        int cop = s.cop;
        double[] zb = z[b];
        double[] scale = new double[cop];
        double[] shift = new double[cop];
        affine(b, i, scale, shift);
        int ho = s.h / 2;
        int wo = s.w / 2;
        int aw = padded ? wo + 2 : wo;
        int aImage = padded ? (ho + 2) * aw * cop : ho * wo * cop;
        int dw = s.w + 2;
        int base = i * s.dzImage;
        ConvOpsF64.zeroBorder(d, i, s.h, s.w, cop);
        for (int y = 2 * ho; y < s.h; y++) {                 // rows and columns the floor pooling leaves out
            Arrays.fill(d, base + ((y + 1) * dw + 1) * cop, base + ((y + 1) * dw + 1 + s.w) * cop, (double) 0);
        }
        if (2 * wo < s.w) {
            for (int y = 0; y < s.h; y++) {
                int q = base + ((y + 1) * dw + s.w) * cop;
                Arrays.fill(d, q, q + cop, (double) 0);
            }
        }
        DoubleVector zero = DoubleVector.zero(S);
        int row = s.w * cop;
        for (int py = 0; py < ho; py++) {
            for (int px = 0; px < wo; px++) {
                int q0 = i * s.outImage + (2 * py * s.w + 2 * px) * cop;
                int d0 = base + ((2 * py + 1) * dw + 2 * px + 1) * cop;
                int d2 = d0 + dw * cop;
                int ai = i * aImage + (padded ? (py + 1) * aw + px + 1 : py * wo + px) * cop;
                int gi = (i * ho * wo + py * wo + px) * cop;
                for (int v = 0; v < cop; v += L) {
                    DoubleVector sc = DoubleVector.fromArray(S, scale, v);
                    DoubleVector sh = DoubleVector.fromArray(S, shift, v);
                    DoubleVector z0 = DoubleVector.fromArray(S, zb, q0 + v);
                    DoubleVector z1 = DoubleVector.fromArray(S, zb, q0 + cop + v);
                    DoubleVector z2 = DoubleVector.fromArray(S, zb, q0 + row + v);
                    DoubleVector z3 = DoubleVector.fromArray(S, zb, q0 + row + cop + v);
                    DoubleVector y0 = z0.fma(sc, sh);
                    DoubleVector y1 = z1.fma(sc, sh);
                    DoubleVector y2 = z2.fma(sc, sh);
                    DoubleVector y3 = z3.fma(sc, sh);
                    DoubleVector m = y0.max(y1).max(y2.max(y3));
                    VectorMask<Double> on = DoubleVector.fromArray(S, a, ai + v)
                            .compare(VectorOperators.GT, (double) 0);
                    DoubleVector g = zero.blend(DoubleVector.fromArray(S, da, gi + v).mul(keep), on);
                    VectorMask<Double> e0 = y0.compare(VectorOperators.EQ, m);
                    DoubleVector g0 = zero.blend(g, e0);
                    g = g.blend(zero, e0);
                    VectorMask<Double> e1 = y1.compare(VectorOperators.EQ, m);
                    DoubleVector g1 = zero.blend(g, e1);
                    g = g.blend(zero, e1);
                    VectorMask<Double> e2 = y2.compare(VectorOperators.EQ, m);
                    DoubleVector g2 = zero.blend(g, e2);
                    DoubleVector g3 = g.blend(zero, e2);
                    g0.intoArray(d, d0 + v);
                    g1.intoArray(d, d0 + cop + v);
                    g2.intoArray(d, d2 + v);
                    g3.intoArray(d, d2 + cop + v);
                }
            }
        }
    }

    @Override
    public void release() {
        if (released) {
            return;
        }
        released = true;
        for (int b = 0; b < BLOCKS; b++) {
            arrays.give(x[b]);
            arrays.give(z[b]);
            x[b] = null;
            z[b] = null;
        }
        arrays.give(out);
        out = null;
    }
}
