package io.srwmspark.workers.srwm;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD loops of {@code CpuSrwmF64} and of the delta-rule kernel ({@code io.srwmspark.workers.deltanet}) on the
 * JDK's vector API (module {@code jdk.incubator.vector}). Loaded only when that module is present; every length
 * passed here is a multiple of {@link #lanes()}. Only lane-wise add, multiply, fused multiply-add, min and max
 * are used (exactly rounded in the JIT's code and in the interpreter's fallback alike), so a result does not
 * depend on how far the JIT has compiled the kernel. Template of the generated float32 twin {@code VecF32},
 * like {@code CpuSrwmF64}. Public for the other kernels of this module only; not a general-purpose API.
 */
@SuppressWarnings("cast") // the casts are redundant here but needed in the generated float32 twin
public final class VecF64 {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    // exp: x = n ln2 + r with |r| <= ln2/2, exp(x) = 2^n p(r), p the Taylor polynomial of e^r; MAGIC = 1.5 2^52
    // rounds to an integer by addition (no conversion op, which the JDK 17 JIT does not compile). The lines with
    // "float32:" comments are rewritten for the float32 twin (see workers/pom.xml).
    private static final int MANT_BITS = 52; // float32: 23
    private static final int EXP_BIAS = 1023; // float32: 127
    private static final double LN2_HI = (double) 6.93147180369123816490e-01; // float32: 0.693145751953125
    private static final double LN2_LO = (double) 1.90821492927058770002e-10; // float32: 1.428606765330187e-06
    private static final double EXP_MIN = -708; // float32: -87
    private static final int EXP_DEGREE = 14; // float32: 8
    private static final double LOG2E = (double) 1.4426950408889634;
    private static final double MAGIC = (double) 6755399441055744.0; // float32: 12582912.0
    private static final double[] INV_FACTORIAL = new double[EXP_DEGREE + 1];

    static {
        double v = 1;
        for (int k = 0; k <= EXP_DEGREE; k++) {
            v = k == 0 ? 1 : v / k;
            INV_FACTORIAL[k] = v;
        }
    }

    private VecF64() {
    }

    public static int lanes() {
        return S.length();
    }

    /**
     * out[oo, oo+n) = sum_r a[ao+r] * m[mo + r*stride, +n): a row vector times a (rows x n) matrix. Four
     * accumulators per column chunk keep the FMA pipeline full.
     */
    public static void vecMat(double[] a, int ao, int rows, double[] m, int mo, int stride, double[] out, int oo,
            int n) {
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
    public static void axpy(double alpha, double[] x, int xo, double[] y, int yo, int n) {
        DoubleVector al = DoubleVector.broadcast(S, alpha);
        for (int i = 0; i < n; i += S.length()) {
            DoubleVector.fromArray(S, x, xo + i).fma(al, DoubleVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
    }

    /** y[yo, yo+n) += a1 * x1[0, n) + a2 * x2[0, n). */
    public static void axpy2(double a1, double[] x1, double a2, double[] x2, double[] y, int yo, int n) {
        DoubleVector b1 = DoubleVector.broadcast(S, a1);
        DoubleVector b2 = DoubleVector.broadcast(S, a2);
        for (int i = 0; i < n; i += S.length()) {
            DoubleVector v = DoubleVector.fromArray(S, x1, i).fma(b1, DoubleVector.fromArray(S, y, yo + i));
            DoubleVector.fromArray(S, x2, i).fma(b2, v).intoArray(y, yo + i);
        }
    }

    /**
     * Dot product of a[ao, ao+n) and b[bo, bo+n). The lanes are summed in a fixed order in scalar code, not
     * with {@code reduceLanes}, whose order differs between the JIT's intrinsic and the interpreter's
     * fallback: results do not depend on how warm the JIT is.
     */
    public static double dot(double[] a, int ao, double[] b, int bo, int n, double[] lanes) {
        DoubleVector acc = DoubleVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            acc = DoubleVector.fromArray(S, a, ao + i).fma(DoubleVector.fromArray(S, b, bo + i), acc);
        }
        acc.intoArray(lanes, 0);
        double s = 0;
        for (int i = 0; i < lanes.length; i++) {
            s += lanes[i];
        }
        return s;
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

    /**
     * exp(x) for x &lt;= 0, lane-wise, from exactly rounded operations only (so the JIT's code and the
     * interpreter's fallback agree to the bit, unlike the vector API's own EXP). Inputs below
     * {@code EXP_MIN} are clamped there (their exp is below 1e-37 in float32).
     */
    static DoubleVector expNonPositive(DoubleVector x) {
        DoubleVector xc = x.max(EXP_MIN);
        DoubleVector t = xc.mul(LOG2E).add(MAGIC);                         // n = round(x / ln2), in t's low bits
        DoubleVector nf = t.sub(MAGIC);                                    // n, exactly
        DoubleVector r = xc.sub(nf.mul(LN2_HI)).sub(nf.mul(LN2_LO));     // n ln2_hi is exact
        DoubleVector p = DoubleVector.broadcast(S, INV_FACTORIAL[EXP_DEGREE]);
        for (int k = EXP_DEGREE - 1; k >= 0; k--) {
            p = p.fma(r, DoubleVector.broadcast(S, INV_FACTORIAL[k]));
        }
        LongVector scale = t.reinterpretAsLongs().sub(Double.doubleToRawLongBits(MAGIC)).add(EXP_BIAS)
                .lanewise(VectorOperators.LSHL, MANT_BITS);                // the bits of 2^n
        return p.mul(scale.reinterpretAsDoubles());
    }

    /**
     * In place, a[from, from+n) = elu(a) + 1 = (a &gt; 0 ? a + 1 : exp(a)), lane-wise as exp(min(a, 0)) + max(a, 0)
     * (exp(0) is exactly 1 here); n a multiple of the lane count.
     */
    public static void eluPlusOne(double[] a, int from, int n) {
        for (int i = 0; i < n; i += S.length()) {
            DoubleVector v = DoubleVector.fromArray(S, a, from + i);
            expNonPositive(v.min((double) 0)).add(v.max((double) 0)).intoArray(a, from + i);
        }
    }

    /** In-place softmax of a[from, from+n), n a multiple of the lane count; {@code lanes} is scratch. */
    static void softmax(double[] a, int from, int n, double[] lanes) {
        DoubleVector mx = DoubleVector.fromArray(S, a, from);
        for (int i = S.length(); i < n; i += S.length()) {
            mx = mx.max(DoubleVector.fromArray(S, a, from + i));
        }
        DoubleVector max = DoubleVector.broadcast(S, mx.reduceLanes(VectorOperators.MAX));  // exact in any order
        DoubleVector sum = DoubleVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            DoubleVector v = expNonPositive(DoubleVector.fromArray(S, a, from + i).sub(max));
            v.intoArray(a, from + i);
            sum = sum.add(v);
        }
        sum.intoArray(lanes, 0);
        double total = 0;
        for (int i = 0; i < lanes.length; i++) {
            total += lanes[i];
        }
        DoubleVector inv = DoubleVector.broadcast(S, (double) 1 / total);
        for (int i = 0; i < n; i += S.length()) {
            DoubleVector.fromArray(S, a, from + i).mul(inv).intoArray(a, from + i);
        }
    }
}
