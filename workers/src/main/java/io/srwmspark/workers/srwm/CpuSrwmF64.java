package io.srwmspark.workers.srwm;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The float64 math of {@link CpuSrwmKernel}: one (batch, head) block at a time, on plain Java arrays.
 *
 * <p>This file is also the template of its float32 twin {@code CpuSrwmF32}, generated at build time by
 * replacing the primitive type (see workers/pom.xml), so write constants as casts ({@code (double) 1}) and
 * wrap {@code Math.exp} in {@code (double)}.
 *
 * <p>Fast weights of one block are an E x C matrix, C = 3E + 4, row-major, columns [W_y | W_q | W_k | W_b].
 * Forward per step t (row vectors, W = W_{t-1}):
 * <pre>
 *   z = x_t W                       (C)   y_t = z[0,E)   q = softmax(z[E,2E))   k = softmax(z[2E,3E))
 *   b = sigmoid(z[3E,3E+4))         d = (q - k) W   (C)   u[m] = b[P(m)] d[m]
 *   W &lt;- W + outer(k, u)
 * </pre>
 * The tape keeps per step x (after the optional input softmax), q, k, b and d, and a copy of W every
 * {@code segment} steps. Backward walks time backwards; inside a segment it undoes the updates
 * (W_{t-1} = W_t - outer(k, u)) starting from the exact checkpoint at the segment's end, so rounding
 * error of the undo is bounded by one segment, whatever T is. With G = dL/dW_t:
 * <pre>
 *   kG = k G    gd = b[P] kG    db~[P] = b(1-b) sum_{m in P} kG[m] d[m]     dk = G u^T
 *   r = W_{t-1} gd      dq = r     dk -= r     dq~ = q (dq - &lt;dq,q&gt;)    dk~ = k (dk - &lt;dk,k&gt;)
 *   gz = [g_y | dq~ | dk~ | db~]    dx = W_{t-1} gz     G &lt;- G + outer(q - k, gd) + outer(x, gz)
 * </pre>
 */
final class CpuSrwmF64 implements CpuSrwmKernel.Call {

    private final int batch;
    private final int heads;
    private final int steps;
    private final int e;
    private final int c;
    private final int segment;
    private final int segments;
    private final int vec;
    private final boolean inputSoftmax;
    private final boolean training;

    private final double[] x;      // (B, H, T, E)
    private final double[] w0;     // (H, E, C)
    private final double[] s0;     // (B, H, E, C) or null
    private final double[] mask;   // (B, T) or null
    private final double[] y;      // (B, H, T, E)
    private final double[] state;  // (B, H, E, C): the running, then final, fast weights
    private final double[] tape;   // (B, H, T, V), V = 3E + 4 + C: x, q, k, b, d
    private final double[] ckpt;   // (B, H, segments - 1, E, C): W after each segment but the last

    CpuSrwmF64(SrwmInput in, boolean training, int segment) {
        SrwmShape s = in.shape();
        this.batch = s.batch();
        this.heads = s.heads();
        this.steps = s.steps();
        this.e = s.headSize();
        this.c = s.columns();
        this.segment = segment;
        this.segments = (steps + segment - 1) / segment;
        this.vec = 3 * e + 4 + c;
        this.inputSoftmax = in.inputSoftmax();
        this.training = training;
        this.x = toArray(in.x());
        this.w0 = toArray(in.weights());
        this.s0 = in.initialState() == null ? null : toArray(in.initialState());
        this.mask = in.mask() == null ? null : toArray(in.mask().castTo(DataType.DOUBLE));
        this.y = new double[batch * heads * steps * e];
        this.state = new double[batch * heads * e * c];
        this.tape = training ? new double[batch * heads * steps * vec] : null;
        this.ckpt = training ? new double[batch * heads * Math.max(0, segments - 1) * e * c] : null;
    }

    static double[] toArray(INDArray a) {
        INDArray d = a.dataType() == DataType.DOUBLE ? a : a.castTo(DataType.DOUBLE);
        if (d.isView() || d.ordering() != 'c' || d.data().length() != d.length()) {
            d = d.dup('c');
        }
        return d.data().asDouble();
    }

    @Override
    public long tapeBytes() {
        return training ? (long) Double.BYTES * (tape.length + ckpt.length) : 0L;
    }

    @Override
    public INDArray y() {
        return Nd4j.create(y, new long[] {batch, heads, steps, e}, DataType.DOUBLE);
    }

    @Override
    public INDArray finalState() {
        return Nd4j.create(state, new long[] {batch, heads, e, c}, DataType.DOUBLE);
    }

    private boolean masked(int b, int t) {
        return mask != null && mask[b * steps + t] == (double) 0;
    }

    @Override
    public void forwardBlock(int bh) {
        int b = bh / heads;
        int h = bh % heads;
        int ec = e * c;
        int wo = bh * ec;
        if (s0 != null) {
            System.arraycopy(s0, wo, state, wo, ec);
        } else {
            System.arraycopy(w0, h * ec, state, wo, ec);
        }
        double[] xe = new double[e];
        double[] z = new double[c];
        double[] d = new double[c];
        double[] u = new double[c];
        double[] qk = new double[e];
        for (int t = 0; t < steps; t++) {
            int xo = (bh * steps + t) * e;
            if (!masked(b, t)) {
                System.arraycopy(x, xo, xe, 0, e);
                if (inputSoftmax) {
                    softmax(xe, 0, e);
                }
                // z = x W   (C)
                java.util.Arrays.fill(z, (double) 0);
                for (int r = 0; r < e; r++) {
                    axpy(xe[r], state, wo + r * c, z, 0, c);
                }
                System.arraycopy(z, 0, y, xo, e);
                softmax(z, e, e);
                softmax(z, 2 * e, e);
                for (int m = 3 * e; m < c; m++) {
                    z[m] = (double) 1 / ((double) 1 + (double) Math.exp(-z[m]));
                }
                // d = (q - k) W   (C)
                java.util.Arrays.fill(d, (double) 0);
                for (int r = 0; r < e; r++) {
                    qk[r] = z[e + r] - z[2 * e + r];
                    axpy(qk[r], state, wo + r * c, d, 0, c);
                }
                scaleByBlock(d, z, u);
                // W += outer(k, u)
                for (int r = 0; r < e; r++) {
                    axpy(z[2 * e + r], u, 0, state, wo + r * c, c);
                }
                if (training) {
                    int to = (bh * steps + t) * vec;
                    System.arraycopy(xe, 0, tape, to, e);
                    System.arraycopy(z, e, tape, to + e, 2 * e + 4);
                    System.arraycopy(d, 0, tape, to + 3 * e + 4, c);
                }
            }
            if (training && (t + 1) % segment == 0 && t + 1 < steps) {
                int k = (t + 1) / segment - 1;
                System.arraycopy(state, wo, ckpt, (bh * (segments - 1) + k) * ec, ec);
            }
        }
    }

    /** u[m] = b[P(m)] d[m], with b = z[3E, 3E+4). */
    private void scaleByBlock(double[] d, double[] z, double[] u) {
        for (int p = 0; p < 4; p++) {
            double rate = z[3 * e + p];
            int from = p * e;
            int to = p == 3 ? c : from + e;
            for (int m = from; m < to; m++) {
                u[m] = rate * d[m];
            }
        }
    }

    @Override
    public CpuSrwmKernel.BackwardRun backward(INDArray gradY, INDArray gradFinalState) {
        return new Backward(toArray(gradY),
                gradFinalState == null ? new double[batch * heads * e * c] : toArray(gradFinalState));
    }

    /** One backward pass: dL/dy in, dL/dx and the per-sequence dL/dS_0 out. */
    private final class Backward implements CpuSrwmKernel.BackwardRun {
        private final double[] gradY;      // (B, H, T, E)
        private final double[] gradState;  // (B, H, E, C): dL/dW_t, ends as dL/dS_0
        private final double[] dx;         // (B, H, T, E)

        Backward(double[] gradY, double[] gradState) {
            this.gradY = gradY;
            this.gradState = gradState;
            this.dx = new double[gradY.length];
        }

        @Override
        public void block(int bh) {
            backwardBlock(bh, gradY, gradState, dx);
        }

        @Override
        public SrwmGradients gradients(boolean perSequence) {
            INDArray dxa = Nd4j.create(dx, new long[] {batch, heads, steps, e}, DataType.DOUBLE);
            if (perSequence) {
                return new SrwmGradients(dxa, Nd4j.zeros(DataType.DOUBLE, heads, e, c),
                        Nd4j.create(gradState, new long[] {batch, heads, e, c}, DataType.DOUBLE));
            }
            return new SrwmGradients(dxa, Nd4j.create(sumOverBatch(gradState), new long[] {heads, e, c},
                    DataType.DOUBLE), null);
        }
    }

    private void backwardBlock(int bh, double[] gradY, double[] gradState, double[] dx) {
        int b = bh / heads;
        int ec = e * c;
        int go = bh * ec;
        double[] w = new double[ec];
        double[] u = new double[c];
        double[] kg = new double[c];
        double[] gd = new double[c];
        double[] gz = new double[c];
        double[] dk = new double[e];
        double[] dq = new double[e];
        double[] qk = new double[e];
        double[] dxe = new double[e];
        for (int seg = segments - 1; seg >= 0; seg--) {
            int start = seg * segment;
            int end = Math.min(steps, start + segment);
            if (seg == segments - 1) {
                System.arraycopy(state, go, w, 0, ec);
            } else {
                System.arraycopy(ckpt, (bh * (segments - 1) + seg) * ec, w, 0, ec);
            }
            for (int t = end - 1; t >= start; t--) {
                int xo = (bh * steps + t) * e;
                if (masked(b, t)) {
                    java.util.Arrays.fill(dx, xo, xo + e, (double) 0);
                    continue;
                }
                int to = (bh * steps + t) * vec;
                int qo = to + e;
                int ko = to + 2 * e;
                int bo = to + 3 * e;
                int dof = to + 3 * e + 4;
                for (int p = 0; p < 4; p++) {
                    double rate = tape[bo + p];
                    int from = p * e;
                    int upto = p == 3 ? c : from + e;
                    for (int m = from; m < upto; m++) {
                        u[m] = rate * tape[dof + m];
                    }
                }
                // kG = k G;  dk = G u^T;  W_{t-1} = W_t - outer(k, u)
                java.util.Arrays.fill(kg, (double) 0);
                for (int r = 0; r < e; r++) {
                    double kr = tape[ko + r];
                    axpy(kr, gradState, go + r * c, kg, 0, c);
                    dk[r] = dot(gradState, go + r * c, u, 0, c);
                    axpy(-kr, u, 0, w, r * c, c);
                }
                // gd = b[P] kG;  db~ = b (1 - b) sum_P kG d
                for (int p = 0; p < 4; p++) {
                    double rate = tape[bo + p];
                    int from = p * e;
                    int upto = p == 3 ? c : from + e;
                    double acc = 0;
                    for (int m = from; m < upto; m++) {
                        gd[m] = rate * kg[m];
                        acc += kg[m] * tape[dof + m];
                    }
                    gz[3 * e + p] = rate * ((double) 1 - rate) * acc;
                }
                // r = W_{t-1} gd;  dq = r;  dk -= r
                for (int r = 0; r < e; r++) {
                    double v = dot(w, r * c, gd, 0, c);
                    dq[r] = v;
                    dk[r] -= v;
                }
                softmaxBackward(tape, qo, dq, gz, e);
                softmaxBackward(tape, ko, dk, gz, 2 * e);
                System.arraycopy(gradY, xo, gz, 0, e);
                // dx = W_{t-1} gz;  G += outer(q - k, gd) + outer(x, gz)
                for (int r = 0; r < e; r++) {
                    dxe[r] = dot(w, r * c, gz, 0, c);
                    qk[r] = tape[qo + r] - tape[ko + r];
                    axpy(qk[r], gd, 0, gradState, go + r * c, c);
                    axpy(tape[to + r], gz, 0, gradState, go + r * c, c);
                }
                if (inputSoftmax) {
                    double s = 0;
                    for (int r = 0; r < e; r++) {
                        s += dxe[r] * tape[to + r];
                    }
                    for (int r = 0; r < e; r++) {
                        dx[xo + r] = tape[to + r] * (dxe[r] - s);
                    }
                } else {
                    System.arraycopy(dxe, 0, dx, xo, e);
                }
            }
        }
    }

    /** Sum over the batch of per-sequence gradients (B, H, E, C) -> (H, E, C), in a fixed order. */
    private double[] sumOverBatch(double[] perSequence) {
        int hec = heads * e * c;
        double[] out = new double[hec];
        for (int b = 0; b < batch; b++) {
            axpy((double) 1, perSequence, b * hec, out, 0, hec);
        }
        return out;
    }

    /** g~ = s (g - &lt;g, s&gt;) for s = tape[so, so+E), written to out[oo, oo+E). */
    private static void softmaxBackward(double[] tape, int so, double[] g, double[] out, int oo) {
        int n = g.length;
        double dotp = 0;
        for (int i = 0; i < n; i++) {
            dotp += g[i] * tape[so + i];
        }
        for (int i = 0; i < n; i++) {
            out[oo + i] = tape[so + i] * (g[i] - dotp);
        }
    }

    /** In-place softmax of a[from, from+n). */
    static void softmax(double[] a, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) {
            max = Math.max(max, a[i]);
        }
        double sum = 0;
        for (int i = from; i < from + n; i++) {
            double v = (double) Math.exp(a[i] - max);
            a[i] = v;
            sum += v;
        }
        double inv = (double) 1 / sum;
        for (int i = from; i < from + n; i++) {
            a[i] *= inv;
        }
    }

    /** y[yo, yo+n) += alpha * x[xo, xo+n). */
    static void axpy(double alpha, double[] x, int xo, double[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    /** Dot product of a[ao, ao+n) and b[bo, bo+n), four partial sums for instruction-level parallelism. */
    static double dot(double[] a, int ao, double[] b, int bo, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[ao + i] * b[bo + i];
            s1 += a[ao + i + 1] * b[bo + i + 1];
            s2 += a[ao + i + 2] * b[bo + i + 2];
            s3 += a[ao + i + 3] * b[bo + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[ao + i] * b[bo + i];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
