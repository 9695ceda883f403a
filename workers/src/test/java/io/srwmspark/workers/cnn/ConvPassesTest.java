package io.srwmspark.workers.cnn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The three convolution passes (forward, weight gradient, input gradient) of {@code ConvOpsF64} and its float32
 * twin against straightforward loops ({@link NaiveCnn}), on random data, for shapes that reach every tile kind
 * (6 or 1 rows; 4, 2 or 1 vectors), both kernel sizes, channel padding and several chunks.
 */
class ConvPassesTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                // float64, n, h, w, cin, cis, cout, kernel
                Arguments.of(true, 3, 7, 5, 3, 3, 5, 3),
                Arguments.of(true, 4, 6, 6, 8, 8, 20, 3),
                Arguments.of(true, 2, 5, 5, 16, 16, 32, 1),
                Arguments.of(true, 3, 16, 16, 4, 8, 4, 3),
                Arguments.of(false, 2, 10, 10, 64, 64, 64, 3),
                Arguments.of(false, 2, 7, 7, 20, 32, 96, 3),
                Arguments.of(false, 2, 8, 8, 1, 1, 40, 3),
                Arguments.of(false, 7, 3, 3, 16, 16, 16, 1));
    }

    @ParameterizedTest(name = "f64={0} n={1} {2}x{3} cin={4}/{5} cout={6} k={7}")
    @MethodSource("cases")
    void passesMatchNaiveLoops(boolean f64, int n, int h, int w, int cin, int cis, int cout, int k) {
        Random rng = new Random(n * 31L + cout);
        int lanes = f64 ? ConvOpsF64.lanes() : ConvOpsF32.lanes();
        ConvShape s = new ConvShape(h, w, cin, cis, cout, k, lanes);
        NaiveCnn.T4 in = new NaiveCnn.T4(n, cin, h, w);
        fill(rng, in.v());
        double[] wt = new double[cout * cin * k * k];
        fill(rng, wt);
        double[] bias = new double[cout];
        fill(rng, bias);
        NaiveCnn.T4 dz = new NaiveCnn.T4(n, cout, h, w);
        fill(rng, dz.v());

        // layouts of the code under test
        double[] x = new double[n * s.inImage];
        double[] dzPad = new double[n * s.dzImage];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    for (int c = 0; c < cin; c++) {
                        x[i * s.inImage + ((y + 1) * (w + 2) + xx + 1) * cis + c] = in.get(i, c, y, xx);
                    }
                    for (int c = 0; c < cout; c++) {
                        dzPad[i * s.dzImage + ((y + 1) * (w + 2) + xx + 1) * s.cop + c] = dz.get(i, c, y, xx);
                    }
                }
            }
        }
        double[] z = new double[n * s.outImage];
        double[] dwt = new double[s.kRows() * s.cop];
        double[] dwChunk = new double[dwt.length];
        boolean withDx = cis % lanes == 0;
        double[] dx = new double[n * s.pixels * cis];
        double[] biasPad = ConvOpsF64.pad(bias, s.cop);
        if (f64) {
            double[] wtm = ConvOpsF64.wt(s, wt);
            double[] wfm = ConvOpsF64.wf(s, wt);
            for (int i0 = 0; i0 < n; i0 += s.chunk) {
                int cnt = Math.min(s.chunk, n - i0);
                ConvOpsF64.convForward(s, x, i0, cnt, wtm, biasPad, z);
                ConvOpsF64.convWeightGrad(s, x, dzPad, i0, cnt, dwChunk);
                for (int j = 0; j < dwt.length; j++) {
                    dwt[j] += dwChunk[j];
                }
                if (withDx) {
                    ConvOpsF64.convInputGrad(s, dzPad, i0, cnt, wfm, dx);
                }
            }
        } else {
            float[] xf = toFloat(x);
            float[] dzf = toFloat(dzPad);
            float[] zf = new float[z.length];
            float[] dwf = new float[dwt.length];
            float[] dwc = new float[dwt.length];
            float[] dxf = new float[dx.length];
            float[] wtm = ConvOpsF32.wt(s, toFloat(wt));
            float[] wfm = ConvOpsF32.wf(s, toFloat(wt));
            for (int i0 = 0; i0 < n; i0 += s.chunk) {
                int cnt = Math.min(s.chunk, n - i0);
                ConvOpsF32.convForward(s, xf, i0, cnt, wtm, toFloat(biasPad), zf);
                ConvOpsF32.convWeightGrad(s, xf, dzf, i0, cnt, dwc);
                for (int j = 0; j < dwf.length; j++) {
                    dwf[j] += dwc[j];
                }
                if (withDx) {
                    ConvOpsF32.convInputGrad(s, dzf, i0, cnt, wfm, dxf);
                }
            }
            z = toDouble(zf);
            dwt = toDouble(dwf);
            dx = toDouble(dxf);
        }
        double tol = f64 ? 1e-12 : 2e-5;

        NaiveCnn.T4 ref = NaiveCnn.conv(in, wt, bias, cout, k);
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    for (int c = 0; c < s.cop; c++) {
                        double got = z[i * s.outImage + (y * w + xx) * s.cop + c];
                        double want = c < cout ? ref.get(i, c, y, xx) : 0;
                        assertEquals(want, got, tol * scale(want), "z at " + i + "," + c + "," + y + "," + xx);
                    }
                }
            }
        }
        int pad = k / 2;
        for (int co = 0; co < cout; co++) {
            for (int ci = 0; ci < cin; ci++) {
                for (int t = 0; t < k * k; t++) {
                    int kh = t / k;
                    int kw = t % k;
                    double want = 0;
                    for (int i = 0; i < n; i++) {
                        for (int y = 0; y < h; y++) {
                            for (int xx = 0; xx < w; xx++) {
                                int yy = y + kh - pad;
                                int xs = xx + kw - pad;
                                if (yy >= 0 && yy < h && xs >= 0 && xs < w) {
                                    want += dz.get(i, co, y, xx) * in.get(i, ci, yy, xs);
                                }
                            }
                        }
                    }
                    double got = dwt[(t * cin + ci) * s.cop + co];
                    assertEquals(want, got, tol * scale(want) * 4, "dW at " + co + "," + ci + "," + t);
                }
            }
        }
        if (withDx) {
            for (int i = 0; i < n; i++) {
                for (int ci = 0; ci < cis; ci++) {
                    for (int y = 0; y < h; y++) {
                        for (int xx = 0; xx < w; xx++) {
                            double want = 0;
                            for (int co = 0; co < cout && ci < cin; co++) {
                                for (int kh = 0; kh < k; kh++) {
                                    for (int kw = 0; kw < k; kw++) {
                                        int oy = y - kh + pad;
                                        int ox = xx - kw + pad;
                                        if (oy >= 0 && oy < h && ox >= 0 && ox < w) {
                                            want += dz.get(i, co, oy, ox) * wt[((co * cin + ci) * k + kh) * k + kw];
                                        }
                                    }
                                }
                            }
                            double got = dx[(i * s.pixels + y * w + xx) * cis + ci];
                            assertEquals(want, got, tol * scale(want), "dx at " + i + "," + ci + "," + y + "," + xx);
                        }
                    }
                }
            }
        }
    }

    private static double scale(double v) {
        return Math.max(1, Math.abs(v)) * 10;
    }

    static void fill(Random rng, double[] v) {
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
        }
    }

    static float[] toFloat(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }

    static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
