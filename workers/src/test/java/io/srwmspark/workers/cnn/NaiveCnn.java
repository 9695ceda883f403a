package io.srwmspark.workers.cnn;

/**
 * Straightforward float64 loops in PyTorch's (N, C, H, W) layout, the reference of the backbone tests. Nothing
 * here is fast or shared with the code under test.
 */
final class NaiveCnn {

    private NaiveCnn() {
    }

    /** A (n, c, h, w) tensor as a flat array. */
    record T4(int n, int c, int h, int w, double[] v) {
        T4(int n, int c, int h, int w) {
            this(n, c, h, w, new double[n * c * h * w]);
        }

        int idx(int i, int ch, int y, int x) {
            return ((i * c + ch) * h + y) * w + x;
        }

        double get(int i, int ch, int y, int x) {
            return v[idx(i, ch, y, x)];
        }
    }

    /** Convolution, stride 1, padding k/2, weight (cout, cin, k, k), bias (cout) or null. */
    static T4 conv(T4 in, double[] w, double[] bias, int cout, int k) {
        T4 out = new T4(in.n(), cout, in.h(), in.w());
        int pad = k / 2;
        for (int i = 0; i < in.n(); i++) {
            for (int co = 0; co < cout; co++) {
                for (int y = 0; y < in.h(); y++) {
                    for (int x = 0; x < in.w(); x++) {
                        double s = bias == null ? 0 : bias[co];
                        for (int ci = 0; ci < in.c(); ci++) {
                            for (int kh = 0; kh < k; kh++) {
                                for (int kw = 0; kw < k; kw++) {
                                    int yy = y + kh - pad;
                                    int xx = x + kw - pad;
                                    if (yy >= 0 && yy < in.h() && xx >= 0 && xx < in.w()) {
                                        s += in.get(i, ci, yy, xx) * w[((co * in.c() + ci) * k + kh) * k + kw];
                                    }
                                }
                            }
                        }
                        out.v()[out.idx(i, co, y, x)] = s;
                    }
                }
            }
        }
        return out;
    }

    /** Batch norm with statistics per group of consecutive images (biased variance). */
    static T4 batchNorm(T4 in, int group, double[] gamma, double[] beta, double eps) {
        T4 out = new T4(in.n(), in.c(), in.h(), in.w());
        for (int g = 0; g < in.n() / group; g++) {
            for (int ch = 0; ch < in.c(); ch++) {
                double s = 0;
                int m = 0;
                for (int i = g * group; i < (g + 1) * group; i++) {
                    for (int y = 0; y < in.h(); y++) {
                        for (int x = 0; x < in.w(); x++) {
                            s += in.get(i, ch, y, x);
                            m++;
                        }
                    }
                }
                double mean = s / m;
                double q = 0;
                for (int i = g * group; i < (g + 1) * group; i++) {
                    for (int y = 0; y < in.h(); y++) {
                        for (int x = 0; x < in.w(); x++) {
                            double d = in.get(i, ch, y, x) - mean;
                            q += d * d;
                        }
                    }
                }
                double inv = 1 / Math.sqrt(q / m + eps);
                for (int i = g * group; i < (g + 1) * group; i++) {
                    for (int y = 0; y < in.h(); y++) {
                        for (int x = 0; x < in.w(); x++) {
                            int k = in.idx(i, ch, y, x);
                            out.v()[k] = gamma[ch] * (in.v()[k] - mean) * inv + beta[ch];
                        }
                    }
                }
            }
        }
        return out;
    }

    /** 2x2 max pool, stride 2, floor. */
    static T4 maxPool(T4 in) {
        T4 out = new T4(in.n(), in.c(), in.h() / 2, in.w() / 2);
        for (int i = 0; i < in.n(); i++) {
            for (int ch = 0; ch < in.c(); ch++) {
                for (int y = 0; y < out.h(); y++) {
                    for (int x = 0; x < out.w(); x++) {
                        double m = Double.NEGATIVE_INFINITY;
                        for (int dy = 0; dy < 2; dy++) {
                            for (int dx = 0; dx < 2; dx++) {
                                m = Math.max(m, in.get(i, ch, 2 * y + dy, 2 * x + dx));
                            }
                        }
                        out.v()[out.idx(i, ch, y, x)] = m;
                    }
                }
            }
        }
        return out;
    }

    static T4 map(T4 in, java.util.function.DoubleUnaryOperator f) {
        T4 out = new T4(in.n(), in.c(), in.h(), in.w());
        for (int k = 0; k < in.v().length; k++) {
            out.v()[k] = f.applyAsDouble(in.v()[k]);
        }
        return out;
    }

    static T4 add(T4 a, T4 b) {
        T4 out = new T4(a.n(), a.c(), a.h(), a.w());
        for (int k = 0; k < a.v().length; k++) {
            out.v()[k] = a.v()[k] + b.v()[k];
        }
        return out;
    }

    static double relu(double v) {
        return v > 0 ? v : 0;
    }

    static double leaky(double v) {
        return v > 0 ? v : 0.1 * v;
    }
}
