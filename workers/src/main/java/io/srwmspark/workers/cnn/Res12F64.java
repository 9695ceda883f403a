package io.srwmspark.workers.cnn;

import io.srwmspark.workers.rng.DropoutSeed;
import io.srwmspark.workers.srwm.ArrayPool;
import java.util.Arrays;
import io.srwmspark.workers.concurrent.Parallel;
import java.util.concurrent.ForkJoinPool;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One float64 run of {@link Res12Backbone}: the forward in the constructor, the tape in the fields, the backward
 * in {@link #backward}. Template of the generated float32 twin {@code Res12F32} (see workers/pom.xml).
 *
 * <p>Block b, units u1, u2, u3 (3x3) and us (1x1 shortcut), each a convolution z = conv(in) and a per-episode
 * batch norm y = gamma xhat + beta ({@link ConvOpsF64}):
 * <pre>
 *   a1 = leaky(y1(x))   a2 = leaky(y2(a1))   pre = y3(a2) + ys(x)   s = leaky(pre)
 *   out = Dropout(MaxPool(s))
 * backward, from dout:
 *   ds at each window's first maximum = dout m (m the dropout multiplier, recomputed from its seed)
 *   dy3 = dys = ds leaky'(pre)
 *   da2 = conv3^T(BN3'(dy3))   dy2 = da2 leaky'(a2)   da1 = conv2^T(BN2'(dy2))   dy1 = da1 leaky'(a1)
 *   dx = conv1^T(BN1'(dy1)) + convS^T(BNs'(dys))
 * </pre>
 * leaky'(v) = 1 for v &gt; 0 else the slope, as PyTorch; a = leaky(y) has the sign of y, so the stored a1, a2
 * serve. The epilogues are plain scalar loops (this backbone favours clarity over speed); the convolutions and
 * batch-norm passes are the shared SIMD ones.
 */
@SuppressWarnings("cast") // the casts are redundant here but needed in the generated float32 twin
final class Res12F64 implements Res12Backbone.Run {

    private static final int BLOCKS = Res12Backbone.BLOCKS;
    private static final double SLOPE = (double) Res12Backbone.LEAKY_SLOPE;

    /** Per-episode statistics of one batch norm, (groups, cop): mean and 1/sqrt(var + eps). */
    private record Stats(double[] mean, double[] inv) {
    }

    /** A convolution and its batch norm: geometry, weights and, after the forward, z and the statistics. */
    private static final class Unit {
        final ConvShape s;
        final double[] wt;
        final double[] wf;
        final double[] gamma;
        final double[] beta;
        double[] z;
        Stats st;

        Unit(ConvShape s, ConvBn p, boolean needsDx) {
            this.s = s;
            double[] w = ConvOpsF64.toArray(p.weight());
            this.wt = ConvOpsF64.wt(s, w);
            this.wf = needsDx ? ConvOpsF64.wf(s, w) : null;
            this.gamma = ConvOpsF64.pad(ConvOpsF64.toArray(p.gamma()), s.cop);
            this.beta = ConvOpsF64.pad(ConvOpsF64.toArray(p.beta()), s.cop);
        }

        /** y = z scale + shift for group g. */
        void affine(int g, double[] scale, double[] shift) {
            int cop = s.cop;
            for (int c = 0; c < cop; c++) {
                scale[c] = gamma[c] * st.inv[g * cop + c];
                shift[c] = beta[c] - st.mean[g * cop + c] * scale[c];
            }
        }
    }

    private final Res12Backbone.Config cfg;
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
    private final Unit[][] units = new Unit[BLOCKS][];       // conv1, conv2, conv3, shortcut
    private final double[][] x = new double[BLOCKS][];      // (N, H+2, W+2, cis) input of block b
    private final double[][] a1 = new double[BLOCKS][];     // (N, H+2, W+2, cop) leaky(y1)
    private final double[][] a2 = new double[BLOCKS][];     // (N, H+2, W+2, cop) leaky(y2)
    private double[] out;                                    // (N, H/16, W/16, cop) output of the last block
    private final INDArray features;
    private boolean released;

    Res12F64(Res12Backbone.Config cfg, ForkJoinPool pool, ArrayPool arrays, PhaseTimes times,
            Res12Backbone.Params p, INDArray images, int n, int group, boolean training, DropoutSeed seed) {
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
        int cis = cfg.inChannels();
        for (int b = 0; b < BLOCKS; b++) {
            int h = cfg.heightAt(b);
            int w = cfg.widthAt(b);
            int cin = cfg.inChannelsAt(b);
            int c = cfg.channels().get(b);
            Res12Backbone.Block k = p.blocks().get(b);
            ConvShape s1 = new ConvShape(h, w, cin, cis, c, 3, lanes);
            ConvShape s2 = new ConvShape(h, w, c, s1.cop, c, 3, lanes);
            ConvShape ss = new ConvShape(h, w, cin, cis, c, 1, lanes);
            units[b] = new Unit[] {new Unit(s1, k.conv1(), training && b > 0), new Unit(s2, k.conv2(), training),
                new Unit(s2, k.conv3(), training), new Unit(ss, k.shortcut(), training && b > 0)};
            cis = s1.cop;
        }
        long t0 = System.nanoTime();
        ConvShape s0 = units[0][0].s;
        x[0] = arrays.takeDouble(ConvShape.length(n, s0.inImage), false);
        ConvOpsF64.padImages(images, n, cfg.inChannels(), s0.h, s0.w, x[0]);
        for (int b = 0; b < BLOCKS; b++) {
            forwardBlock(b);
            t0 = PhaseTimes.lap(times, "fwd.block" + b, t0);
        }
        this.features = toFeatures();
    }

    @Override
    public INDArray features() {
        return features;
    }

    private void forwardBlock(int b) {
        Unit[] u = units[b];
        ConvShape s = u[0].s;
        convBn(u[0], x[b]);
        a1[b] = arrays.takeDouble(ConvShape.length(n, s.dzImage), false);
        perImage(s, i -> bnLeaky(u[0], i, a1[b]));
        convBn(u[1], a1[b]);
        a2[b] = arrays.takeDouble(ConvShape.length(n, s.dzImage), false);
        perImage(s, i -> bnLeaky(u[1], i, a2[b]));
        convBn(u[2], a2[b]);
        convBn(u[3], x[b]);
        boolean last = b == BLOCKS - 1;
        int ho = s.h / 2;
        int wo = s.w / 2;
        double[] dest = arrays.takeDouble(ConvShape.length(n, (last ? ho * wo : (ho + 2) * (wo + 2)) * s.cop),
                false);
        perImage(s, i -> residualPool(b, i, dest, !last));
        if (last) {
            out = dest;
        } else {
            x[b + 1] = dest;
        }
        if (!training) {
            releaseBlock(b);
        }
    }

    /** Runs body(i) for every image, chunk by chunk on the pool. */
    private void perImage(ConvShape s, java.util.function.IntConsumer body) {
        Parallel.forEach(pool, s.chunks(n), ch -> {
            for (int i = ch * s.chunk; i < Math.min(n, (ch + 1) * s.chunk); i++) {
                body.accept(i);
            }
        });
    }

    /** u.z = conv(in) and its per-episode statistics. */
    private void convBn(Unit u, double[] in) {
        ConvShape s = u.s;
        int cop = s.cop;
        u.z = arrays.takeDouble(ConvShape.length(n, s.outImage), false);
        double[] mean = new double[n * cop];
        double[] m2 = new double[n * cop];
        Parallel.forEach(pool, s.chunks(n), ch -> {
            int i0 = ch * s.chunk;
            int cnt = Math.min(s.chunk, n - i0);
            ConvOpsF64.convForward(s, in, i0, cnt, u.wt, null, u.z);
            for (int i = i0; i < i0 + cnt; i++) {
                ConvOpsF64.imageStats(u.z, i, s.pixels, cop, mean, m2);
            }
        });
        u.st = new Stats(new double[groups * cop], new double[groups * cop]);
        ConvOpsF64.groupStats(mean, m2, groups, group, s.pixels, cop, (double) cfg.bnEps(), u.st.mean, u.st.inv);
    }

    /** a = leaky(BN(z)) of image i into the padded buffer a. */
    private void bnLeaky(Unit u, int i, double[] a) {
        ConvShape s = u.s;
        int cop = s.cop;
        double[] scale = new double[cop];
        double[] shift = new double[cop];
        u.affine(i / group, scale, shift);
        ConvOpsF64.zeroBorder(a, i, s.h, s.w, cop);
        for (int y = 0; y < s.h; y++) {
            for (int xx = 0; xx < s.w; xx++) {
                int zq = i * s.outImage + (y * s.w + xx) * cop;
                int aq = i * s.dzImage + ((y + 1) * (s.w + 2) + xx + 1) * cop;
                for (int c = 0; c < cop; c++) {
                    double v = u.z[zq + c] * scale[c] + shift[c];
                    a[aq + c] = v > (double) 0 ? v : SLOPE * v;
                }
            }
        }
    }

    /** pre = y3 + ys at offset q (in z layout), channel c. */
    private static double pre(Unit u3, Unit us, int q, int c, double[] sc3, double[] sh3, double[] scs,
            double[] shs) {
        return (u3.z[q + c] * sc3[c] + sh3[c]) + (us.z[q + c] * scs[c] + shs[c]);
    }

    /** out = Dropout(MaxPool(leaky(y3 + ys))) of image i into dest (padded or not). */
    private void residualPool(int b, int i, double[] dest, boolean padded) {
        Unit u3 = units[b][2];
        Unit us = units[b][3];
        ConvShape s = u3.s;
        int cop = s.cop;
        double[][] aff = affines(u3, us, i / group);
        DropoutStream drop = rate > 0 ? new DropoutStream(seed.rowSeed(b, i), rate) : null;
        int ho = s.h / 2;
        int wo = s.w / 2;
        int dw = padded ? wo + 2 : wo;
        int dImage = padded ? (ho + 2) * dw * cop : ho * wo * cop;
        if (padded) {
            ConvOpsF64.zeroBorder(dest, i, ho, wo, cop);
        }
        for (int py = 0; py < ho; py++) {
            for (int px = 0; px < wo; px++) {
                int d = i * dImage + (padded ? (py + 1) * dw + px + 1 : py * wo + px) * cop;
                for (int c = 0; c < cop; c++) {
                    double best = (double) 0;
                    for (int k = 0; k < 4; k++) {
                        int q = i * s.outImage + ((2 * py + (k >> 1)) * s.w + 2 * px + (k & 1)) * cop;
                        double v = pre(u3, us, q, c, aff[0], aff[1], aff[2], aff[3]);
                        v = v > (double) 0 ? v : SLOPE * v;
                        if (k == 0 || v > best) {
                            best = v;
                        }
                    }
                    double m = drop != null && c < s.cout ? (drop.drop() ? (double) 0 : keep) : (double) 1;
                    dest[d + c] = best * m;
                }
            }
        }
    }

    /** {scale3, shift3, scaleS, shiftS} of group g. */
    private static double[][] affines(Unit u3, Unit us, int g) {
        int cop = u3.s.cop;
        double[][] out = new double[4][cop];
        u3.affine(g, out[0], out[1]);
        us.affine(g, out[2], out[3]);
        return out;
    }

    /** The last block's output as (N, C H/16 W/16) features in C, H, W order. */
    private INDArray toFeatures() {
        ConvShape s = units[BLOCKS - 1][0].s;
        return ConvOpsF64.features(out, n, (s.h / 2) * (s.w / 2), s.cout, s.cop);
    }

    @Override
    public Res12Backbone.Params backward(INDArray dFeatures) {
        if (released) {
            throw new IllegalStateException("ResNet-12 backward ran already (or the tape was released): run forward "
                    + "again");
        }
        ConvShape sl = units[BLOCKS - 1][0].s;
        int hw = (sl.h / 2) * (sl.w / 2);
        double[] da = arrays.takeDouble(ConvShape.length(n, hw * sl.cop), true);
        ConvOpsF64.fromFeatures(dFeatures, da, n, hw, sl.cout, sl.cop);
        Res12Backbone.Block[] grads = new Res12Backbone.Block[BLOCKS];
        long t0 = System.nanoTime();
        for (int b = BLOCKS - 1; b >= 0; b--) {
            double[][] next = new double[1][];
            grads[b] = backwardBlock(b, da, next);
            arrays.give(da);
            da = next[0];
            t0 = PhaseTimes.lap(times, "bwd.block" + b, t0);
        }
        release();
        return new Res12Backbone.Params(Arrays.asList(grads));
    }

    /** Backpropagates da through block b; puts dx (N, H, W, cis) into dxOut[0] for b &gt; 0. */
    private Res12Backbone.Block backwardBlock(int b, double[] da, double[][] dxOut) {
        Unit[] u = units[b];
        ConvShape s = u[0].s;
        int dzLen = ConvShape.length(n, s.dzImage);
        int pixLen = ConvShape.length(n, s.pixels * s.cop);
        double[] d3 = arrays.takeDouble(dzLen, false);
        double[] dS = arrays.takeDouble(dzLen, false);
        perImage(s, i -> residualUnpool(b, i, da, d3, dS));

        double[] da2 = arrays.takeDouble(pixLen, false);
        ConvBn g3 = convBnBackward(u[2], a2[b], d3, da2);
        double[] dxS = b > 0 ? arrays.takeDouble(ConvShape.length(n, s.pixels * s.cis), false) : null;
        ConvBn gs = convBnBackward(u[3], x[b], dS, dxS);

        double[] d2 = d3;                                   // reuse: dy2 overwrites the spent dz3
        perImage(s, i -> leakyBack(s, i, a2[b], da2, d2));
        double[] da1 = da2;
        ConvBn g2 = convBnBackward(u[1], a1[b], d2, da1);
        double[] d1 = dS;
        perImage(s, i -> leakyBack(s, i, a1[b], da1, d1));
        double[] dx1 = b > 0 ? arrays.takeDouble(ConvShape.length(n, s.pixels * s.cis), false) : null;
        ConvBn g1 = convBnBackward(u[0], x[b], d1, dx1);
        arrays.give(d3);
        arrays.give(dS);
        arrays.give(da2);
        if (dx1 != null) {
            for (int k = 0; k < dx1.length; k++) {
                dx1[k] += dxS[k];
            }
            arrays.give(dxS);
        }
        dxOut[0] = dx1;
        return new Res12Backbone.Block(g1, g2, g3, gs);
    }

    /**
     * The gradient of image i of block b's output routed to its windows' first maxima and through the leaky ReLU
     * of the residual sum: dy3 = dys, written to both padded buffers (zero elsewhere).
     */
    private void residualUnpool(int b, int i, double[] da, double[] d3, double[] dS) {
        Unit u3 = units[b][2];
        Unit us = units[b][3];
        ConvShape s = u3.s;
        int cop = s.cop;
        double[][] aff = affines(u3, us, i / group);
        DropoutStream drop = rate > 0 ? new DropoutStream(seed.rowSeed(b, i), rate) : null;
        int ho = s.h / 2;
        int wo = s.w / 2;
        Arrays.fill(d3, i * s.dzImage, (i + 1) * s.dzImage, (double) 0);
        Arrays.fill(dS, i * s.dzImage, (i + 1) * s.dzImage, (double) 0);
        for (int py = 0; py < ho; py++) {
            for (int px = 0; px < wo; px++) {
                int gi = (i * ho * wo + py * wo + px) * cop;
                for (int c = 0; c < cop; c++) {
                    double best = (double) 0;
                    double bestPre = (double) 0;
                    int arg = 0;
                    for (int k = 0; k < 4; k++) {
                        int q = i * s.outImage + ((2 * py + (k >> 1)) * s.w + 2 * px + (k & 1)) * cop;
                        double p = pre(u3, us, q, c, aff[0], aff[1], aff[2], aff[3]);
                        double v = p > (double) 0 ? p : SLOPE * p;
                        if (k == 0 || v > best) {
                            best = v;
                            bestPre = p;
                            arg = k;
                        }
                    }
                    double m = drop != null && c < s.cout ? (drop.drop() ? (double) 0 : keep) : (double) 1;
                    double g = da[gi + c] * m * (bestPre > (double) 0 ? (double) 1 : SLOPE);
                    int dq = i * s.dzImage + ((2 * py + (arg >> 1) + 1) * (s.w + 2) + 2 * px + (arg & 1) + 1) * cop + c;
                    d3[dq] = g;
                    dS[dq] = g;
                }
            }
        }
    }

    /** dy = da leaky'(a) of image i into the interior of the padded buffer d (a padded, da (N, H, W, cop)). */
    private static void leakyBack(ConvShape s, int i, double[] a, double[] da, double[] d) {
        int cop = s.cop;
        ConvOpsF64.zeroBorder(d, i, s.h, s.w, cop);
        for (int y = 0; y < s.h; y++) {
            for (int xx = 0; xx < s.w; xx++) {
                int q = i * s.dzImage + ((y + 1) * (s.w + 2) + xx + 1) * cop;
                int g = (i * s.pixels + y * s.w + xx) * cop;
                for (int c = 0; c < cop; c++) {
                    d[q + c] = da[g + c] * (a[q + c] > (double) 0 ? (double) 1 : SLOPE);
                }
            }
        }
    }

    /**
     * Batch-norm and convolution backward of unit u: d holds dy (padded) and becomes dz; writes dx = conv^T(dz)
     * when dx is non-null; returns the unit's parameter gradients.
     */
    private ConvBn convBnBackward(Unit u, double[] in, double[] d, double[] dx) {
        ConvShape s = u.s;
        int cop = s.cop;
        double[] sdy = new double[n * cop];
        double[] sdyx = new double[n * cop];
        perImage(s, i -> ConvOpsF64.bnSums(s, u.z, d, i, i / group, u.st.mean, u.st.inv, sdy, sdyx));
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
                ConvOpsF64.bnDz(s, u.z, d, i, i / group, u.st.mean, u.st.inv, u.gamma, mdy, mdyx, null);
            }
            ConvOpsF64.convWeightGrad(s, in, d, i0, cnt, partial[ch]);
            if (dx != null) {
                ConvOpsF64.convInputGrad(s, d, i0, cnt, u.wf, dx);
            }
        });
        double[] dwt = ConvOpsF64.sumPartials(pool, partial);
        int co = s.cout;
        return new ConvBn(ConvOpsF64.torchGrad(s, dwt), null, ConvOpsF64.array(Arrays.copyOf(dGamma, co), co),
                ConvOpsF64.array(Arrays.copyOf(dBeta, co), co));
    }

    private void releaseBlock(int b) {
        arrays.give(x[b]);
        arrays.give(a1[b]);
        arrays.give(a2[b]);
        x[b] = null;
        a1[b] = null;
        a2[b] = null;
        for (Unit u : units[b]) {
            arrays.give(u.z);
            u.z = null;
        }
    }

    @Override
    public void release() {
        if (released) {
            return;
        }
        released = true;
        for (int b = 0; b < BLOCKS; b++) {
            releaseBlock(b);
        }
        arrays.give(out);
        out = null;
    }
}
