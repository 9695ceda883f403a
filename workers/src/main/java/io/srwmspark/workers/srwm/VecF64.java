package io.srwmspark.workers.srwm;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD loops of {@code CpuSrwmF64} on the JDK's vector API (module {@code jdk.incubator.vector}). Loaded only
 * when that module is present; every length passed here is a multiple of {@link #lanes()}. Template of the
 * generated float32 twin {@code VecF32}, like {@code CpuSrwmF64}.
 */
@SuppressWarnings("cast") // the casts are redundant here but needed in the generated float32 twin
final class VecF64 {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    private VecF64() {
    }

    static int lanes() {
        return S.length();
    }

    /**
     * out[oo, oo+n) = sum_r a[ao+r] * m[mo + r*stride, +n): a row vector times a (rows x n) matrix. Four
     * accumulators per column chunk keep the FMA pipeline full.
     */
    static void vecMat(double[] a, int ao, int rows, double[] m, int mo, int stride, double[] out, int oo, int n) {
        for (int j = 0; j < n; j += S.length()) {
            DoubleVector acc0 = DoubleVector.zero(S);
            DoubleVector acc1 = DoubleVector.zero(S);
            DoubleVector acc2 = DoubleVector.zero(S);
            DoubleVector acc3 = DoubleVector.zero(S);
            int r = 0;
            int o = mo + j;
            for (; r + 3 < rows; r += 4, o += 4 * stride) {
                acc0 = DoubleVector.fromArray(S, m, o).fma(DoubleVector.broadcast(S, a[ao + r]), acc0);
                acc1 = DoubleVector.fromArray(S, m, o + stride).fma(DoubleVector.broadcast(S, a[ao + r + 1]), acc1);
                acc2 = DoubleVector.fromArray(S, m, o + 2 * stride)
                        .fma(DoubleVector.broadcast(S, a[ao + r + 2]), acc2);
                acc3 = DoubleVector.fromArray(S, m, o + 3 * stride)
                        .fma(DoubleVector.broadcast(S, a[ao + r + 3]), acc3);
            }
            for (; r < rows; r++, o += stride) {
                acc0 = DoubleVector.fromArray(S, m, o).fma(DoubleVector.broadcast(S, a[ao + r]), acc0);
            }
            acc0.add(acc1).add(acc2.add(acc3)).intoArray(out, oo + j);
        }
    }

    /** y[yo, yo+n) += alpha * x[xo, xo+n). */
    static void axpy(double alpha, double[] x, int xo, double[] y, int yo, int n) {
        DoubleVector al = DoubleVector.broadcast(S, alpha);
        for (int i = 0; i < n; i += S.length()) {
            DoubleVector.fromArray(S, x, xo + i).fma(al, DoubleVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
    }

    /** y[yo, yo+n) += a1 * x1[0, n) + a2 * x2[0, n). */
    static void axpy2(double a1, double[] x1, double a2, double[] x2, double[] y, int yo, int n) {
        DoubleVector b1 = DoubleVector.broadcast(S, a1);
        DoubleVector b2 = DoubleVector.broadcast(S, a2);
        for (int i = 0; i < n; i += S.length()) {
            DoubleVector v = DoubleVector.fromArray(S, x1, i).fma(b1, DoubleVector.fromArray(S, y, yo + i));
            DoubleVector.fromArray(S, x2, i).fma(b2, v).intoArray(y, yo + i);
        }
    }

    /** Dot product of a[ao, ao+n) and b[bo, bo+n). */
    static double dot(double[] a, int ao, double[] b, int bo, int n) {
        DoubleVector acc = DoubleVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            acc = DoubleVector.fromArray(S, a, ao + i).fma(DoubleVector.fromArray(S, b, bo + i), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** In-place softmax of a[from, from+n), n a multiple of the lane count. */
    static void softmax(double[] a, int from, int n) {
        DoubleVector mx = DoubleVector.broadcast(S, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < n; i += S.length()) {
            mx = mx.max(DoubleVector.fromArray(S, a, from + i));
        }
        DoubleVector max = DoubleVector.broadcast(S, mx.reduceLanes(VectorOperators.MAX));
        DoubleVector sum = DoubleVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            DoubleVector v = DoubleVector.fromArray(S, a, from + i).sub(max).lanewise(VectorOperators.EXP);
            v.intoArray(a, from + i);
            sum = sum.add(v);
        }
        DoubleVector inv = DoubleVector.broadcast(S, (double) 1 / sum.reduceLanes(VectorOperators.ADD));
        for (int i = 0; i < n; i += S.length()) {
            DoubleVector.fromArray(S, a, from + i).mul(inv).intoArray(a, from + i);
        }
    }

    /**
     * out[m] = x[xo + m] * rate[ro + P(m)] for the four column blocks P of widths E, E, E and the rest of
     * [0, n); E must be a multiple of the lane count, so that each vector lies in one block.
     */
    static void scaleBlocks(double[] x, int xo, double[] rate, int ro, int e, double[] out, int n) {
        for (int p = 0; p < 4; p++) {
            DoubleVector r = DoubleVector.broadcast(S, rate[ro + p]);
            int to = p == 3 ? n : (p + 1) * e;
            for (int i = p * e; i < to; i += S.length()) {
                DoubleVector.fromArray(S, x, xo + i).mul(r).intoArray(out, i);
            }
        }
    }
}
