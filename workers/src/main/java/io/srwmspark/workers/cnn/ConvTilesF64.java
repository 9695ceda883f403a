package io.srwmspark.workers.cnn;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one inner product of every convolution pass, as register-tiled SIMD loops (JDK vector API):
 * <pre>
 *   c[co + r ldc + j] = init[j] + sum_{i &lt; n} a[ao + rowOff[r] + aOff[i]] * b[bo + bOff[i] + j]
 *                                                              for r &lt; rows, j &lt; vectors L
 * </pre>
 * An implicit GEMM: rows of A are gathered through offsets, so no im2col copy exists. The three passes of a
 * convolution are this one loop with different offsets (see {@link ConvShape}): forward (rows = pixels,
 * i = taps x input channels, b = weights), weight gradient (rows = taps x input channels, i = pixels,
 * b = output gradients) and input gradient (rows = pixels, i = taps x output channels, b = flipped weights).
 *
 * <p>A tile keeps 6 rows x 4 vectors of c in registers (24 accumulators; the weights of step i are loaded once
 * and used by 6 rows); edges use tiles of 1 row and of 2 or 1 vectors. The accumulators start from one shared
 * row ({@code init}: a bias, or zeros) rather than from c: loading 24 of them made the method too large for C2's
 * inliner (NodeCountInliningCutoff), which then left vector calls boxed and ran 10x slower. For the same
 * reason the loops call the vector API directly, without helper methods. Each entry of c is a sum over i in
 * increasing order by fused multiply-adds, whatever tile computes it: results do not depend on the tiling, the
 * thread count or how far the JIT has compiled this code (the interpreter's fallback rounds alike).
 *
 * <p>Template of the generated float32 twin {@code ConvTilesF32} (see workers/pom.xml).
 */
final class ConvTilesF64 {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private ConvTilesF64() {
    }

    /** Lanes per vector: channel counts are padded to a multiple of this. */
    static int lanes() {
        return L;
    }

    /**
     * Runs the product above for rows [r0, r0 + rows) of rowOff (c row r0 + r at {@code co + (r0 + r) ldc}).
     *
     * @param vectors columns of c and b, in vectors of {@link #lanes()} values
     * @param init    the row every output row starts from, at least {@code vectors} vectors long
     */
    static void run(double[] a, int ao, int[] rowOff, int r0, int rows, int[] aOff, int[] bOff, int n,
            double[] b, int bo, int vectors, double[] init, double[] c, int co, int ldc) {
        int r = r0;
        int end = r0 + rows;
        for (; r + 6 <= end; r += 6) {
            int v = 0;
            for (; v + 4 <= vectors; v += 4) {
                k6x4(a, ao, rowOff, r, aOff, bOff, n, b, bo + v * L, init, v * L, c, co + r * ldc + v * L, ldc);
            }
            for (; v + 2 <= vectors; v += 2) {
                k6x2(a, ao, rowOff, r, aOff, bOff, n, b, bo + v * L, init, v * L, c, co + r * ldc + v * L, ldc);
            }
            for (; v < vectors; v++) {
                k6x1(a, ao, rowOff, r, aOff, bOff, n, b, bo + v * L, init, v * L, c, co + r * ldc + v * L, ldc);
            }
        }
        for (; r < end; r++) {
            int v = 0;
            int ar = ao + rowOff[r];
            for (; v + 4 <= vectors; v += 4) {
                k1x4(a, ar, aOff, bOff, n, b, bo + v * L, init, v * L, c, co + r * ldc + v * L);
            }
            for (; v + 2 <= vectors; v += 2) {
                k1x2(a, ar, aOff, bOff, n, b, bo + v * L, init, v * L, c, co + r * ldc + v * L);
            }
            for (; v < vectors; v++) {
                k1x1(a, ar, aOff, bOff, n, b, bo + v * L, init, v * L, c, co + r * ldc + v * L);
            }
        }
    }

    private static void k6x4(double[] a, int ao, int[] rowOff, int r, int[] aOff, int[] bOff, int n, double[] b,
            int bo, double[] init, int io, double[] c, int c0, int ldc) {
        int a0 = ao + rowOff[r];
        int a1 = ao + rowOff[r + 1];
        int a2 = ao + rowOff[r + 2];
        int a3 = ao + rowOff[r + 3];
        int a4 = ao + rowOff[r + 4];
        int a5 = ao + rowOff[r + 5];
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        int c4 = c3 + ldc;
        int c5 = c4 + ldc;
        DoubleVector i0 = DoubleVector.fromArray(S, init, io);
        DoubleVector i1 = DoubleVector.fromArray(S, init, io + L);
        DoubleVector i2 = DoubleVector.fromArray(S, init, io + 2 * L);
        DoubleVector i3 = DoubleVector.fromArray(S, init, io + 3 * L);
        DoubleVector s00 = i0, s01 = i1, s02 = i2, s03 = i3;
        DoubleVector s10 = i0, s11 = i1, s12 = i2, s13 = i3;
        DoubleVector s20 = i0, s21 = i1, s22 = i2, s23 = i3;
        DoubleVector s30 = i0, s31 = i1, s32 = i2, s33 = i3;
        DoubleVector s40 = i0, s41 = i1, s42 = i2, s43 = i3;
        DoubleVector s50 = i0, s51 = i1, s52 = i2, s53 = i3;
        for (int i = 0; i < n; i++) {
            int o = aOff[i];
            int bi = bo + bOff[i];
            DoubleVector w0 = DoubleVector.fromArray(S, b, bi);
            DoubleVector w1 = DoubleVector.fromArray(S, b, bi + L);
            DoubleVector w2 = DoubleVector.fromArray(S, b, bi + 2 * L);
            DoubleVector w3 = DoubleVector.fromArray(S, b, bi + 3 * L);
            DoubleVector x = DoubleVector.broadcast(S, a[a0 + o]);
            s00 = w0.fma(x, s00); s01 = w1.fma(x, s01); s02 = w2.fma(x, s02); s03 = w3.fma(x, s03);
            x = DoubleVector.broadcast(S, a[a1 + o]);
            s10 = w0.fma(x, s10); s11 = w1.fma(x, s11); s12 = w2.fma(x, s12); s13 = w3.fma(x, s13);
            x = DoubleVector.broadcast(S, a[a2 + o]);
            s20 = w0.fma(x, s20); s21 = w1.fma(x, s21); s22 = w2.fma(x, s22); s23 = w3.fma(x, s23);
            x = DoubleVector.broadcast(S, a[a3 + o]);
            s30 = w0.fma(x, s30); s31 = w1.fma(x, s31); s32 = w2.fma(x, s32); s33 = w3.fma(x, s33);
            x = DoubleVector.broadcast(S, a[a4 + o]);
            s40 = w0.fma(x, s40); s41 = w1.fma(x, s41); s42 = w2.fma(x, s42); s43 = w3.fma(x, s43);
            x = DoubleVector.broadcast(S, a[a5 + o]);
            s50 = w0.fma(x, s50); s51 = w1.fma(x, s51); s52 = w2.fma(x, s52); s53 = w3.fma(x, s53);
        }
        s00.intoArray(c, c0); s01.intoArray(c, c0 + L); s02.intoArray(c, c0 + 2 * L); s03.intoArray(c, c0 + 3 * L);
        s10.intoArray(c, c1); s11.intoArray(c, c1 + L); s12.intoArray(c, c1 + 2 * L); s13.intoArray(c, c1 + 3 * L);
        s20.intoArray(c, c2); s21.intoArray(c, c2 + L); s22.intoArray(c, c2 + 2 * L); s23.intoArray(c, c2 + 3 * L);
        s30.intoArray(c, c3); s31.intoArray(c, c3 + L); s32.intoArray(c, c3 + 2 * L); s33.intoArray(c, c3 + 3 * L);
        s40.intoArray(c, c4); s41.intoArray(c, c4 + L); s42.intoArray(c, c4 + 2 * L); s43.intoArray(c, c4 + 3 * L);
        s50.intoArray(c, c5); s51.intoArray(c, c5 + L); s52.intoArray(c, c5 + 2 * L); s53.intoArray(c, c5 + 3 * L);
    }

    private static void k6x2(double[] a, int ao, int[] rowOff, int r, int[] aOff, int[] bOff, int n, double[] b,
            int bo, double[] init, int io, double[] c, int c0, int ldc) {
        int a0 = ao + rowOff[r];
        int a1 = ao + rowOff[r + 1];
        int a2 = ao + rowOff[r + 2];
        int a3 = ao + rowOff[r + 3];
        int a4 = ao + rowOff[r + 4];
        int a5 = ao + rowOff[r + 5];
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        int c4 = c3 + ldc;
        int c5 = c4 + ldc;
        DoubleVector i0 = DoubleVector.fromArray(S, init, io);
        DoubleVector i1 = DoubleVector.fromArray(S, init, io + L);
        DoubleVector s00 = i0, s01 = i1;
        DoubleVector s10 = i0, s11 = i1;
        DoubleVector s20 = i0, s21 = i1;
        DoubleVector s30 = i0, s31 = i1;
        DoubleVector s40 = i0, s41 = i1;
        DoubleVector s50 = i0, s51 = i1;
        for (int i = 0; i < n; i++) {
            int o = aOff[i];
            int bi = bo + bOff[i];
            DoubleVector w0 = DoubleVector.fromArray(S, b, bi), w1 = DoubleVector.fromArray(S, b, bi + L);
            DoubleVector x = DoubleVector.broadcast(S, a[a0 + o]);
            s00 = w0.fma(x, s00); s01 = w1.fma(x, s01);
            x = DoubleVector.broadcast(S, a[a1 + o]);
            s10 = w0.fma(x, s10); s11 = w1.fma(x, s11);
            x = DoubleVector.broadcast(S, a[a2 + o]);
            s20 = w0.fma(x, s20); s21 = w1.fma(x, s21);
            x = DoubleVector.broadcast(S, a[a3 + o]);
            s30 = w0.fma(x, s30); s31 = w1.fma(x, s31);
            x = DoubleVector.broadcast(S, a[a4 + o]);
            s40 = w0.fma(x, s40); s41 = w1.fma(x, s41);
            x = DoubleVector.broadcast(S, a[a5 + o]);
            s50 = w0.fma(x, s50); s51 = w1.fma(x, s51);
        }
        s00.intoArray(c, c0); s01.intoArray(c, c0 + L);
        s10.intoArray(c, c1); s11.intoArray(c, c1 + L);
        s20.intoArray(c, c2); s21.intoArray(c, c2 + L);
        s30.intoArray(c, c3); s31.intoArray(c, c3 + L);
        s40.intoArray(c, c4); s41.intoArray(c, c4 + L);
        s50.intoArray(c, c5); s51.intoArray(c, c5 + L);
    }

    private static void k6x1(double[] a, int ao, int[] rowOff, int r, int[] aOff, int[] bOff, int n, double[] b,
            int bo, double[] init, int io, double[] c, int c0, int ldc) {
        int a0 = ao + rowOff[r];
        int a1 = ao + rowOff[r + 1];
        int a2 = ao + rowOff[r + 2];
        int a3 = ao + rowOff[r + 3];
        int a4 = ao + rowOff[r + 4];
        int a5 = ao + rowOff[r + 5];
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        int c4 = c3 + ldc;
        int c5 = c4 + ldc;
        DoubleVector i0 = DoubleVector.fromArray(S, init, io);
        DoubleVector s0 = i0, s1 = i0, s2 = i0, s3 = i0, s4 = i0, s5 = i0;
        for (int i = 0; i < n; i++) {
            int o = aOff[i];
            DoubleVector w = DoubleVector.fromArray(S, b, bo + bOff[i]);
            s0 = w.fma(DoubleVector.broadcast(S, a[a0 + o]), s0);
            s1 = w.fma(DoubleVector.broadcast(S, a[a1 + o]), s1);
            s2 = w.fma(DoubleVector.broadcast(S, a[a2 + o]), s2);
            s3 = w.fma(DoubleVector.broadcast(S, a[a3 + o]), s3);
            s4 = w.fma(DoubleVector.broadcast(S, a[a4 + o]), s4);
            s5 = w.fma(DoubleVector.broadcast(S, a[a5 + o]), s5);
        }
        s0.intoArray(c, c0);
        s1.intoArray(c, c1);
        s2.intoArray(c, c2);
        s3.intoArray(c, c3);
        s4.intoArray(c, c4);
        s5.intoArray(c, c5);
    }

    private static void k1x4(double[] a, int a0, int[] aOff, int[] bOff, int n, double[] b, int bo, double[] init,
            int io, double[] c, int c0) {
        DoubleVector s0 = DoubleVector.fromArray(S, init, io);
        DoubleVector s1 = DoubleVector.fromArray(S, init, io + L);
        DoubleVector s2 = DoubleVector.fromArray(S, init, io + 2 * L);
        DoubleVector s3 = DoubleVector.fromArray(S, init, io + 3 * L);
        for (int i = 0; i < n; i++) {
            int bi = bo + bOff[i];
            DoubleVector x = DoubleVector.broadcast(S, a[a0 + aOff[i]]);
            s0 = DoubleVector.fromArray(S, b, bi).fma(x, s0);
            s1 = DoubleVector.fromArray(S, b, bi + L).fma(x, s1);
            s2 = DoubleVector.fromArray(S, b, bi + 2 * L).fma(x, s2);
            s3 = DoubleVector.fromArray(S, b, bi + 3 * L).fma(x, s3);
        }
        s0.intoArray(c, c0);
        s1.intoArray(c, c0 + L);
        s2.intoArray(c, c0 + 2 * L);
        s3.intoArray(c, c0 + 3 * L);
    }

    private static void k1x2(double[] a, int a0, int[] aOff, int[] bOff, int n, double[] b, int bo, double[] init,
            int io, double[] c, int c0) {
        DoubleVector s0 = DoubleVector.fromArray(S, init, io);
        DoubleVector s1 = DoubleVector.fromArray(S, init, io + L);
        for (int i = 0; i < n; i++) {
            int bi = bo + bOff[i];
            DoubleVector x = DoubleVector.broadcast(S, a[a0 + aOff[i]]);
            s0 = DoubleVector.fromArray(S, b, bi).fma(x, s0);
            s1 = DoubleVector.fromArray(S, b, bi + L).fma(x, s1);
        }
        s0.intoArray(c, c0);
        s1.intoArray(c, c0 + L);
    }

    private static void k1x1(double[] a, int a0, int[] aOff, int[] bOff, int n, double[] b, int bo, double[] init,
            int io, double[] c, int c0) {
        DoubleVector s0 = DoubleVector.fromArray(S, init, io);
        for (int i = 0; i < n; i++) {
            s0 = DoubleVector.fromArray(S, b, bo + bOff[i]).fma(DoubleVector.broadcast(S, a[a0 + aOff[i]]), s0);
        }
        s0.intoArray(c, c0);
    }
}
