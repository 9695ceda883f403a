package io.srwmspark.workers.cnn;

import io.srwmspark.workers.concurrent.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Float64 building blocks of the backbones, per chunk or per image so that callers fuse them inside one
 * parallel task: convolution passes (through {@link ConvTilesF64}), per-episode batch-norm statistics and
 * gradients, weight layout conversions. Layouts are those of {@link ConvShape}.
 *
 * <p>Batch norm per episode (group of {@code group} consecutive images), M = group H W values per channel:
 * <pre>
 *   mean_i, M2_i = per-image mean and sum of squared deviations (two passes over the image)
 *   mean = (1/group) sum_i mean_i      var = (1/M) sum_i (M2_i + H W (mean_i - mean)^2)      (biased)
 *   xhat = (z - mean) / sqrt(var + eps)      y = gamma xhat + beta
 *   backward: dz = gamma / sqrt(var + eps) (dy - mean_M(dy) - xhat mean_M(dy xhat))
 *             dgamma = sum dy xhat   dbeta = sum dy
 * </pre>
 * Every sum runs in a fixed order (pixels, then images of a group, then images of the batch): an episode's
 * statistics depend on its own images only, and no result depends on the thread count.
 *
 * <p>Template of the generated float32 twin {@code ConvOpsF32} (see workers/pom.xml): constants are written
 * as casts ({@code (double) 1}) and library calls returning double are wrapped in {@code (double)}.
 */
@SuppressWarnings("cast") // the casts are redundant here but needed in the generated float32 twin
final class ConvOpsF64 {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private ConvOpsF64() {
    }

    static int lanes() {
        return ConvTilesF64.lanes();
    }

    /** A C-order copy of an array of this type (callers validated the type). */
    static double[] toArray(INDArray a) {
        INDArray d = dense(a);
        double[] out = new double[(int) d.length()];
        d.data().asNioDouble().get(out);
        return out;
    }

    /** {@code a} in this precision, C order, its buffer holding exactly its elements (a copy where needed). */
    private static INDArray dense(INDArray a) {
        INDArray d = a.dataType() == DataType.DOUBLE ? a : a.castTo(DataType.DOUBLE);
        if (d.isView() || d.ordering() != 'c' || d.data().length() != d.length()) {
            d = d.dup('c');
        }
        return d;
    }

    /**
     * A backbone's last activations (N, hw, cop) (channels innermost, padded to cop lanes, c real ones) as
     * (N, c hw) features in C, H, W order.
     */
    static INDArray features(double[] out, int n, int hw, int c, int cop) {
        double[] f = new double[n * c * hw];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < hw; p++) {
                for (int ch = 0; ch < c; ch++) {
                    f[(i * c + ch) * hw + p] = out[(i * hw + p) * cop + ch];
                }
            }
        }
        return array(f, n, (long) c * hw);
    }

    /** The inverse of {@link #features}: dL/dfeatures (N, c hw) into {@code da} (N, hw, cop), padding left 0. */
    static void fromFeatures(INDArray dFeatures, double[] da, int n, int hw, int c, int cop) {
        double[] df = toArray(dFeatures);
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < hw; p++) {
                for (int ch = 0; ch < c; ch++) {
                    da[(i * hw + p) * cop + ch] = df[(i * c + ch) * hw + p];
                }
            }
        }
    }

    /** A C-order array of the given shape over (a copy of) {@code data}. */
    static INDArray array(double[] data, long... shape) {
        return Nd4j.create(Nd4j.createBuffer(data), shape);
    }

    /** {@code v} zero-padded to length n. */
    static double[] pad(double[] v, int n) {
        return Arrays.copyOf(v, n);
    }

    // ---------------------------------------------------------------- weights

    /** PyTorch-layout weights (cout, cin, k, k) to the forward matrix wt (taps cin, cop). */
    static double[] wt(ConvShape s, double[] w) {
        double[] out = new double[s.kRows() * s.cop];
        for (int t = 0; t < s.taps; t++) {
            for (int ci = 0; ci < s.cin; ci++) {
                for (int co = 0; co < s.cout; co++) {
                    out[(t * s.cin + ci) * s.cop + co] = w[s.torchIndex(co, ci, t)];
                }
            }
        }
        return out;
    }

    /** PyTorch-layout weights to the input-gradient matrix wf (taps cout, cis). */
    static double[] wf(ConvShape s, double[] w) {
        double[] out = new double[s.taps * s.cout * s.cis];
        for (int t = 0; t < s.taps; t++) {
            for (int co = 0; co < s.cout; co++) {
                for (int ci = 0; ci < s.cin; ci++) {
                    out[(t * s.cout + co) * s.cis + ci] = w[s.torchIndex(co, ci, t)];
                }
            }
        }
        return out;
    }

    /** A weight gradient (taps cin, cop) back to the PyTorch layout (cout, cin, k, k). */
    static INDArray torchGrad(ConvShape s, double[] dwt) {
        double[] out = new double[s.cout * s.cin * s.taps];
        for (int t = 0; t < s.taps; t++) {
            for (int ci = 0; ci < s.cin; ci++) {
                for (int co = 0; co < s.cout; co++) {
                    out[s.torchIndex(co, ci, t)] = dwt[(t * s.cin + ci) * s.cop + co];
                }
            }
        }
        return array(out, s.cout, s.cin, s.kernel, s.kernel);
    }

    // ---------------------------------------------------------------- convolution passes

    /**
     * z = conv(x) + bias for images [img0, img0 + count) (count &lt;= chunk).
     *
     * @param x    padded input (N, H+2, W+2, cis)
     * @param wt   (taps cin, cop)
     * @param bias (cop) or null
     * @param z    output (N, H, W, cop)
     */
    static void convForward(ConvShape s, double[] x, int img0, int count, double[] wt, double[] bias, double[] z) {
        ConvTilesF64.run(x, img0 * s.inImage, s.pixIn, 0, count * s.pixels, s.tapIn, s.rowWt, s.kRows(), wt, 0,
                s.cop / lanes(), bias == null ? new double[s.cop] : bias, z, img0 * s.outImage, s.cop);
    }

    /**
     * dwt = sum over the pixels of images [img0, img0 + count) of x-patch times dz (overwritten: one partial
     * sum per chunk, added up by the caller in chunk order).
     *
     * @param dz  padded output gradient (N, H+2, W+2, cop)
     * @param dwt (taps cin, cop)
     */
    static void convWeightGrad(ConvShape s, double[] x, double[] dz, int img0, int count, double[] dwt) {
        ConvTilesF64.run(x, img0 * s.inImage, s.tapIn, 0, s.kRows(), s.pixIn, s.pixDzCentre, count * s.pixels,
                dz, img0 * s.dzImage, s.cop / lanes(), new double[s.cop], dwt, 0, s.cop);
    }

    /**
     * dx = conv^T(dz) for images [img0, img0 + count) (overwritten); needs cis to be a multiple of the lane
     * count.
     *
     * @param wf (taps cout, cis)
     * @param dx (N, H, W, cis)
     */
    static void convInputGrad(ConvShape s, double[] dz, int img0, int count, double[] wf, double[] dx) {
        if (s.cis % lanes() != 0) {
            throw new IllegalStateException("input gradient needs a lane-padded input layout, cis = " + s.cis);
        }
        ConvTilesF64.run(dz, img0 * s.dzImage, s.pixDz, 0, count * s.pixels, s.tapDz, s.rowWf, s.taps * s.cout, wf,
                0, s.cis / lanes(), new double[s.cis], dx, img0 * s.pixels * s.cis, s.cis);
    }

    /**
     * Sum of per-chunk partials in chunk order, element ranges spread over the pool (each element's order is
     * fixed, so the result does not depend on threads).
     */
    static double[] sumPartials(java.util.concurrent.ForkJoinPool pool, double[][] partials) {
        double[] out = partials[0];
        int len = out.length;
        int tasks = Math.max(1, Math.min(16, len / 4096));
        Parallel.forEach(pool, tasks, t -> {
            int from = (int) ((long) len * t / tasks);
            int to = (int) ((long) len * (t + 1) / tasks);
            for (int p = 1; p < partials.length; p++) {
                double[] q = partials[p];
                for (int k = from; k < to; k++) {
                    out[k] += q[k];
                }
            }
        });
        return out;
    }

    // ---------------------------------------------------------------- batch norm per episode

    /** mean and M2 (sum of squared deviations) per channel of image img of z (N, pixels, cop). */
    static void imageStats(double[] z, int img, int pixels, int cop, double[] mean, double[] m2) {
        int zo = img * pixels * cop;
        int mo = img * cop;
        DoubleVector count = DoubleVector.broadcast(S, (double) pixels);
        for (int v = 0; v < cop; v += L) {
            DoubleVector sum = DoubleVector.zero(S);
            for (int p = 0; p < pixels; p++) {
                sum = sum.add(DoubleVector.fromArray(S, z, zo + p * cop + v));
            }
            DoubleVector mv = sum.div(count);
            DoubleVector q = DoubleVector.zero(S);
            for (int p = 0; p < pixels; p++) {
                DoubleVector d = DoubleVector.fromArray(S, z, zo + p * cop + v).sub(mv);
                q = d.fma(d, q);
            }
            mv.intoArray(mean, mo + v);
            q.intoArray(m2, mo + v);
        }
    }

    /**
     * Per-group mean and 1/sqrt(var + eps) (G, cop) from per-image statistics, images of a group in order.
     */
    static void groupStats(double[] mean, double[] m2, int groups, int group, int pixels, int cop, double eps,
            double[] gMean, double[] gInv) {
        for (int g = 0; g < groups; g++) {
            for (int c = 0; c < cop; c++) {
                double s = 0;
                for (int i = 0; i < group; i++) {
                    s += mean[(g * group + i) * cop + c];
                }
                double mg = s / (double) group;
                double q = 0;
                for (int i = 0; i < group; i++) {
                    int k = (g * group + i) * cop + c;
                    double d = mean[k] - mg;
                    q += m2[k] + (double) pixels * d * d;
                }
                double var = q / ((double) group * (double) pixels);
                gMean[g * cop + c] = mg;
                gInv[g * cop + c] = (double) 1 / (double) Math.sqrt(var + (double) eps);
            }
        }
    }

    /**
     * Per-image sums of dy and dy xhat over the pixels of image img (group g); dy is read from the interior of
     * a padded (N, H+2, W+2, cop) buffer.
     */
    static void bnSums(ConvShape s, double[] z, double[] dy, int img, int g, double[] gMean, double[] gInv,
            double[] sdy, double[] sdyx) {
        int cop = s.cop;
        for (int v = 0; v < cop; v += L) {
            DoubleVector mean = DoubleVector.fromArray(S, gMean, g * cop + v);
            DoubleVector inv = DoubleVector.fromArray(S, gInv, g * cop + v);
            DoubleVector a = DoubleVector.zero(S);
            DoubleVector b = DoubleVector.zero(S);
            for (int y = 0; y < s.h; y++) {
                for (int x = 0; x < s.w; x++) {
                    int zq = img * s.outImage + (y * s.w + x) * cop + v;
                    int dq = img * s.dzImage + ((y + 1) * (s.w + 2) + x + 1) * cop + v;
                    DoubleVector d = DoubleVector.fromArray(S, dy, dq);
                    a = a.add(d);
                    b = d.fma(DoubleVector.fromArray(S, z, zq).sub(mean).mul(inv), b);
                }
            }
            a.intoArray(sdy, img * cop + v);
            b.intoArray(sdyx, img * cop + v);
        }
    }

    /**
     * Group means of dy and dy xhat (G, cop) from per-image sums, and dgamma, dbeta (cop) summed over all
     * images in order.
     */
    static void bnGroupGrads(double[] sdy, double[] sdyx, int groups, int group, int pixels, int cop,
            double[] mdy, double[] mdyx, double[] dGamma, double[] dBeta) {
        double inv = (double) 1 / ((double) group * (double) pixels);
        Arrays.fill(dGamma, (double) 0);
        Arrays.fill(dBeta, (double) 0);
        for (int g = 0; g < groups; g++) {
            for (int c = 0; c < cop; c++) {
                double a = 0;
                double b = 0;
                for (int i = 0; i < group; i++) {
                    int k = (g * group + i) * cop + c;
                    a += sdy[k];
                    b += sdyx[k];
                    dBeta[c] += sdy[k];
                    dGamma[c] += sdyx[k];
                }
                mdy[g * cop + c] = a * inv;
                mdyx[g * cop + c] = b * inv;
            }
        }
    }

    /**
     * In place on the interior of a padded buffer: dy becomes dz = gamma inv (dy - mdy - xhat mdyx) for image
     * img (group g). With {@code dBiasImg} non-null, writes the image's sum of dz per channel at img cop.
     */
    static void bnDz(ConvShape s, double[] z, double[] d, int img, int g, double[] gMean, double[] gInv,
            double[] gamma, double[] mdy, double[] mdyx, double[] dBiasImg) {
        int cop = s.cop;
        int go = g * cop;
        for (int v = 0; v < cop; v += L) {
            DoubleVector mean = DoubleVector.fromArray(S, gMean, go + v);
            DoubleVector inv = DoubleVector.fromArray(S, gInv, go + v);
            DoubleVector scale = DoubleVector.fromArray(S, gamma, v).mul(inv);
            DoubleVector my = DoubleVector.fromArray(S, mdy, go + v);
            DoubleVector myx = DoubleVector.fromArray(S, mdyx, go + v);
            DoubleVector sum = DoubleVector.zero(S);
            // one flat loop over the image's pixels (row-major, skipping the padding at each row end): a vector
            // accumulator carried through nested loops is not scalar-replaced by C2 and gets boxed every pixel
            int zq = img * s.outImage + v;
            int dq = img * s.dzImage + ((s.w + 2) + 1) * cop + v;
            for (int p = 0, x = 0, n = s.h * s.w; p < n; p++) {
                DoubleVector xh = DoubleVector.fromArray(S, z, zq).sub(mean).mul(inv);
                DoubleVector dz = DoubleVector.fromArray(S, d, dq).sub(my).sub(xh.mul(myx)).mul(scale);
                dz.intoArray(d, dq);
                sum = sum.add(dz);
                zq += cop;
                dq += cop;
                if (++x == s.w) {
                    x = 0;
                    dq += 2 * cop;
                }
            }
            if (dBiasImg != null) {
                sum.intoArray(dBiasImg, img * cop + v);
            }
        }
    }

    /**
     * Per-channel sums over the pixels of image img of dy and of dy xhat, xhat = (z - mean) inv with the statistics
     * of the image's group g: into sdy and sdyx (N, cop) at img cop. dy is read from the padded (N, h+2, w+2, cop)
     * buffer d. One flat loop per channel block, as in {@link #bnDz}: two accumulators summed into memory in the
     * pooling loop instead made C2 fall back to its allocating Java path for those adds in some JVMs.
     */
    static void dySums(ConvShape s, double[] z, double[] d, int img, int g, double[] gMean, double[] gInv,
            double[] sdy, double[] sdyx) {
        int cop = s.cop;
        int go = g * cop;
        for (int v = 0; v < cop; v += L) {
            DoubleVector mean = DoubleVector.fromArray(S, gMean, go + v);
            DoubleVector inv = DoubleVector.fromArray(S, gInv, go + v);
            DoubleVector sy = DoubleVector.zero(S);
            DoubleVector syx = DoubleVector.zero(S);
            int zq = img * s.outImage + v;
            int dq = img * s.dzImage + ((s.w + 2) + 1) * cop + v;
            for (int p = 0, x = 0, n = s.h * s.w; p < n; p++) {
                DoubleVector dy = DoubleVector.fromArray(S, d, dq);
                sy = sy.add(dy);
                syx = dy.fma(DoubleVector.fromArray(S, z, zq).sub(mean).mul(inv), syx);
                zq += cop;
                dq += cop;
                if (++x == s.w) {
                    x = 0;
                    dq += 2 * cop;
                }
            }
            sy.intoArray(sdy, img * cop + v);
            syx.intoArray(sdyx, img * cop + v);
        }
    }

    /** Sum over images in order of per-image rows (N, cop), first {@code cout} channels. */
    static double[] sumRows(double[] rows, int n, int cop, int cout) {
        double[] out = new double[cout];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < cout; c++) {
                out[c] += rows[i * cop + c];
            }
        }
        return out;
    }

    /** Zeroes the one-pixel border of image img of a padded (N, h+2, w+2, stride) buffer. */
    static void zeroBorder(double[] buf, int img, int h, int w, int stride) {
        int wp = w + 2;
        int o = img * (h + 2) * wp * stride;
        Arrays.fill(buf, o, o + wp * stride, (double) 0);
        Arrays.fill(buf, o + (h + 1) * wp * stride, o + (h + 2) * wp * stride, (double) 0);
        for (int y = 1; y <= h; y++) {
            int r = o + y * wp * stride;
            Arrays.fill(buf, r, r + stride, (double) 0);
            Arrays.fill(buf, r + (w + 1) * stride, r + (w + 2) * stride, (double) 0);
        }
    }

    /** Images (N, C, H, W) to the padded channel-last layout (N, H+2, W+2, C) with a zero border. */
    static double[] padImages(INDArray images, int n, int c, int h, int w, double[] out) {
        var img = dense(images).data().asNioDouble();       // read in place: no heap copy of the batch
        int wp = w + 2;
        int per = (h + 2) * wp * c;
        for (int i = 0; i < n; i++) {
            zeroBorder(out, i, h, w, c);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int o = i * per + ((y + 1) * wp + x + 1) * c;
                    for (int ch = 0; ch < c; ch++) {
                        out[o + ch] = img.get(((i * c + ch) * h + y) * w + x);
                    }
                }
            }
        }
        return out;
    }
}
