package io.srwmspark.workers.srwm;

import java.util.Arrays;
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
 * <p>Fast weights of one block are an E x C matrix, C = 3E + 4, columns [W_y | W_q | W_k | W_b], held here
 * row-major with the rows padded to a multiple of the SIMD width (stride {@code cp} &gt;= C; the padding stays
 * zero). Forward per step t (row vectors, W = W_{t-1}; Irie et al., ICML 2022, eqs. 5-8):
 * <pre>
 *   z = x_t W                       (C)   y_t = z[0,E)   q = softmax(z[E,2E))   k = softmax(z[2E,3E))
 *   b = sigmoid(z[3E,3E+4))         d = (q - k) W   (C)   u[m] = b[P(m)] d[m]
 *   W &lt;- W + outer(k, u)
 * </pre>
 * The tape keeps per step x (after the optional input softmax), q, k, b and u, and a copy of W every
 * {@code segment} steps. Backward walks time backwards; inside a segment it undoes the updates
 * (W_{t-1} = W_t - outer(k, u)) starting from the exact checkpoint at the segment's end, so rounding
 * error of the undo is bounded by one segment, whatever T is. With G = dL/dW_t:
 * <pre>
 *   kG = k G    gd = b[P] kG    db~[P] = b(1-b) sum_{m in P} kG[m] d[m] = (1-b) sum_{m in P} kG[m] u[m]
 *   dk = G u^T
 *   r = W_{t-1} gd      dq = r     dk -= r     dq~ = q (dq - &lt;dq,q&gt;)    dk~ = k (dk - &lt;dk,k&gt;)
 *   gz = [g_y | dq~ | dk~ | db~]    dx = W_{t-1} gz     G &lt;- G + outer(q - k, gd) + outer(x, gz)
 * </pre>
 */
@SuppressWarnings("cast") // the casts are redundant here but needed in the generated float32 twin
final class CpuSrwmF64 implements CpuSrwmKernel.Call {

    private final int batch;
    private final int heads;
    private final int steps;
    private final int e;
    private final int c;
    private final int cp;
    private final int ep;
    private final int segment;
    private final int segments;
    private final int vec;
    private final boolean inputSoftmax;
    private final boolean training;
    private final boolean vector;
    private final ArrayPool pool;
    private boolean released;

    private double[] x;      // (B, H, T, E)
    private final double[] w0;     // (H, E, cp)
    private final double[] s0;     // (B, H, E, cp) or null
    private final double[] mask;   // (B, T) or null
    private double[] y;      // (B, H, T, E)
    private double[] state;  // (B, H, E, cp): the running, then final, fast weights
    private double[] tape;   // (B, H, T, V), V = 3E + 4 + cp: x, q, k, b, u = b[P] d
    private double[] ckpt;   // (B, H, segments - 1, E, cp): W after each segment but the last

    CpuSrwmF64(SrwmInput in, boolean training, int segment, boolean vector, ArrayPool pool) {
        SrwmShape s = in.shape();
        this.batch = s.batch();
        this.heads = s.heads();
        this.steps = s.steps();
        this.e = s.headSize();
        this.c = s.columns();
        this.vector = vector;
        this.pool = pool;
        int lanes = vector ? VecF64.lanes() : 1;
        this.cp = (c + lanes - 1) / lanes * lanes;
        this.ep = (e + lanes - 1) / lanes * lanes;
        this.segment = segment;
        this.segments = (steps + segment - 1) / segment;
        this.vec = 3 * e + 4 + cp;
        this.inputSoftmax = in.inputSoftmax();
        this.training = training;
        this.x = read(in.x(), pool);
        this.w0 = pad(toArray(in.weights()));
        this.s0 = in.initialState() == null ? null : pad(toArray(in.initialState()));
        this.mask = in.mask() == null ? null : toArray(in.mask().castTo(DataType.DOUBLE));
        this.y = pool.takeDouble(batch * heads * steps * e, mask != null);
        this.state = pool.takeDouble(batch * heads * e * cp, false);
        this.tape = training ? pool.takeDouble(batch * heads * steps * vec, false) : null;
        this.ckpt = training ? pool.takeDouble(batch * heads * Math.max(0, segments - 1) * e * cp, false) : null;
    }

    /** Copies a (B, H, T, E) input or gradient into a pooled array. */
    private static double[] read(INDArray a, ArrayPool pool) {
        INDArray d = a.dataType() == DataType.DOUBLE ? a : a.castTo(DataType.DOUBLE);
        if (d.isView() || d.ordering() != 'c' || d.data().length() != d.length()) {
            d = d.dup('c');
        }
        double[] out = pool.takeDouble((int) d.length(), false);
        d.data().asNioDouble().get(out);
        return out;
    }

    @Override
    public void forwardDone() {
        pool.give(x);
        x = null;
    }

    @Override
    public void release() {
        if (!released) {
            released = true;
            pool.give(tape);
            pool.give(ckpt);
            pool.give(state);
            tape = null;
            ckpt = null;
            state = null;
        }
    }

    static double[] toArray(INDArray a) {
        INDArray d = a.dataType() == DataType.DOUBLE ? a : a.castTo(DataType.DOUBLE);
        if (d.isView() || d.ordering() != 'c' || d.data().length() != d.length()) {
            d = d.dup('c');
        }
        return d.data().asDouble();
    }

    /** A C-order array over a copy of {@code data} (one bulk copy, not one put per element). */
    private static INDArray array(double[] data, long... shape) {
        return Nd4j.create(Nd4j.createBuffer(data), shape);
    }

    /** Rows of C values to rows of stride cp (zero padding). */
    private double[] pad(double[] rows) {
        if (cp == c) {
            return rows;
        }
        int n = rows.length / c;
        double[] out = new double[n * cp];
        for (int r = 0; r < n; r++) {
            System.arraycopy(rows, r * c, out, r * cp, c);
        }
        return out;
    }

    /** Rows of stride cp back to rows of C values, as an array of the given shape. */
    private INDArray unpad(double[] rows, long... shape) {
        double[] out = rows;
        if (cp != c) {
            int n = rows.length / cp;
            out = new double[n * c];
            for (int r = 0; r < n; r++) {
                System.arraycopy(rows, r * cp, out, r * c, c);
            }
        }
        return array(out, shape);
    }

    @Override
    public long tapeBytes() {
        return training ? (long) Double.BYTES * (tape.length + ckpt.length) : 0L;
    }

    @Override
    public INDArray y() {
        INDArray out = array(y, batch, heads, steps, e);
        pool.give(y);
        y = null;
        return out;
    }

    @Override
    public INDArray finalState() {
        return unpad(state, batch, heads, e, c);
    }

    private boolean masked(int b, int t) {
        return mask != null && mask[b * steps + t] == (double) 0;
    }

    /** Per-block scratch vectors; the step methods below are small, so the JIT compiles them as a whole. */
    private final class Scratch {
        final double[] xe = new double[e];
        final double[] z = new double[cp];
        final double[] d = new double[cp];
        final double[] u = new double[cp];
        final double[] qk = new double[e];
        final double[] wt = new double[c * ep];  // (C, ep): W_t^T in the backward
        final double[] kp = new double[ep];      // k, zero-padded to ep
        final double[] kg = new double[cp];
        final double[] gd = new double[cp];
        final double[] gz = new double[cp];
        final double[] dk = new double[e];
        final double[] rv = new double[ep];
        final double[] dxe = new double[ep];
        final double[] lanes = new double[vector ? VecF64.lanes() : 1];
    }

    @Override
    public void forwardBlock(int bh) {
        int b = bh / heads;
        int h = bh % heads;
        int ecp = e * cp;
        int wo = bh * ecp;
        if (s0 != null) {
            System.arraycopy(s0, wo, state, wo, ecp);
        } else {
            System.arraycopy(w0, h * ecp, state, wo, ecp);
        }
        Scratch sc = new Scratch();
        for (int t = 0; t < steps; t++) {
            if (!masked(b, t)) {
                forwardStep(bh, t, wo, sc);
            }
            if (training && (t + 1) % segment == 0 && t + 1 < steps) {
                int k = (t + 1) / segment - 1;
                System.arraycopy(state, wo, ckpt, (bh * (segments - 1) + k) * ecp, ecp);
            }
        }
    }

    /** One step of one block: y_t, and the update of the fast weights at state[wo]. */
    private void forwardStep(int bh, int t, int wo, Scratch sc) {
        double[] xe = sc.xe;
        double[] z = sc.z;
        int xo = (bh * steps + t) * e;
        System.arraycopy(x, xo, xe, 0, e);
        if (inputSoftmax) {
            softmax(xe, 0, e, sc.lanes);
        }
        vecMat(xe, 0, e, state, wo, cp, z, cp);                           // z = x W   (cp)
        System.arraycopy(z, 0, y, xo, e);
        softmax(z, e, e, sc.lanes);
        softmax(z, 2 * e, e, sc.lanes);
        for (int m = 3 * e; m < c; m++) {
            z[m] = (double) 1 / ((double) 1 + (double) Math.exp(-z[m]));
        }
        for (int r = 0; r < e; r++) {
            sc.qk[r] = z[e + r] - z[2 * e + r];
        }
        vecMat(sc.qk, 0, e, state, wo, cp, sc.d, cp);                     // d = (q - k) W   (cp)
        scaleBlocks(sc.d, 0, z, 3 * e, sc.u);                             // u = b[P] d
        for (int r = 0; r < e; r++) {                                     // W += outer(k, u)
            axpy(z[2 * e + r], sc.u, 0, state, wo + r * cp, cp);
        }
        if (training) {
            int to = (bh * steps + t) * vec;
            System.arraycopy(xe, 0, tape, to, e);
            System.arraycopy(z, e, tape, to + e, 2 * e + 4);
            System.arraycopy(sc.u, 0, tape, to + 3 * e + 4, cp);
        }
    }

    @Override
    public CpuSrwmKernel.BackwardRun backward(INDArray gradY, INDArray gradFinalState) {
        if (released) {
            throw new IllegalStateException("this SRWM tape was released; run the forward again");
        }
        double[] gs;
        if (gradFinalState == null) {
            gs = pool.takeDouble(batch * heads * e * cp, true);
        } else {
            double[] g = pad(toArray(gradFinalState));
            gs = pool.takeDouble(g.length, false);
            System.arraycopy(g, 0, gs, 0, g.length);
        }
        return new Backward(read(gradY, pool), gs);
    }

    /** One backward pass: dL/dy in, dL/dx and the per-sequence dL/dS_0 out. */
    private final class Backward implements CpuSrwmKernel.BackwardRun {
        private final double[] gradY;      // (B, H, T, E)
        private final double[] gradState;  // (B, H, E, cp): dL/dW_t, ends as dL/dS_0
        private final double[] dx;         // (B, H, T, E)

        Backward(double[] gradY, double[] gradState) {
            this.gradY = gradY;
            this.gradState = gradState;
            this.dx = pool.takeDouble(gradY.length, false);
        }

        @Override
        public void block(int bh) {
            backwardBlock(bh, gradY, gradState, dx);
        }

        @Override
        public SrwmGradients gradients(boolean perSequence) {
            INDArray dxa = array(dx, batch, heads, steps, e);
            pool.give(dx);
            pool.give(gradY);
            if (perSequence) {
                INDArray ds = unpad(gradState, batch, heads, e, c);
                pool.give(gradState);
                return new SrwmGradients(dxa, Nd4j.zeros(DataType.DOUBLE, heads, e, c), ds);
            }
            int hecp = heads * e * cp;
            double[] sum = new double[hecp];
            for (int b = 0; b < batch; b++) {                            // fixed order: thread-count independent
                for (int i = 0; i < hecp; i++) {
                    sum[i] += gradState[b * hecp + i];
                }
            }
            pool.give(gradState);
            return new SrwmGradients(dxa, unpad(sum, heads, e, c), null);
        }
    }

    /**
     * Backward of one block. W_{t-1} is held transposed here, wt = W^T (C rows of stride ep &gt;= E), so the
     * three products with W (undo, r = W gd, dx = W gz) are row-vector-times-matrix sweeps with no
     * horizontal sums; G stays row-major (E x cp) for kG = k G and its rank-1 updates.
     */
    private void backwardBlock(int bh, double[] gradY, double[] gradState, double[] dx) {
        int b = bh / heads;
        int ecp = e * cp;
        int go = bh * ecp;
        Scratch sc = new Scratch();
        double[] wt = sc.wt;
        for (int seg = segments - 1; seg >= 0; seg--) {
            int start = seg * segment;
            int end = Math.min(steps, start + segment);
            double[] src = seg == segments - 1 ? state : ckpt;
            int so = seg == segments - 1 ? go : (bh * (segments - 1) + seg) * ecp;
            for (int r = 0; r < e; r++) {                                 // wt = W^T at the segment's end
                for (int m = 0; m < c; m++) {
                    wt[m * ep + r] = src[so + r * cp + m];
                }
            }
            for (int t = end - 1; t >= start; t--) {
                if (masked(b, t)) {
                    int xo = (bh * steps + t) * e;
                    Arrays.fill(dx, xo, xo + e, (double) 0);
                } else {
                    backwardStep(bh, t, go, gradY, gradState, dx, sc);
                }
            }
        }
    }

    /** One step of one block, backwards: dx_t, G += its terms, and wt from W_t^T to W_{t-1}^T. */
    private void backwardStep(int bh, int t, int go, double[] gradY, double[] gradState, double[] dx, Scratch sc) {
        double[] wt = sc.wt;
        double[] kg = sc.kg;
        double[] gd = sc.gd;
        double[] gz = sc.gz;
        double[] dk = sc.dk;
        double[] rv = sc.rv;
        double[] dxe = sc.dxe;
        int xo = (bh * steps + t) * e;
        int to = (bh * steps + t) * vec;
        int qo = to + e;
        int ko = to + 2 * e;
        int bo = to + 3 * e;
        int uo = to + 3 * e + 4;
        vecMat(tape, ko, e, gradState, go, cp, kg, cp);                   // kG = k G   (cp)
        for (int r = 0; r < e; r++) {                                     // dk = G u^T
            dk[r] = dot(gradState, go + r * cp, tape, uo, sc.lanes);
        }
        System.arraycopy(tape, ko, sc.kp, 0, e);
        for (int m = 0; m < c; m++) {                                     // W_{t-1}^T = W_t^T - outer(u, k)
            axpy(-tape[uo + m], sc.kp, 0, wt, m * ep, ep);
        }
        scaleBlocks(kg, 0, tape, bo, gd);                                 // gd = b[P] kG
        for (int p = 0; p < 4; p++) {                                     // db~ = b(1-b) sum_P kG d = (1-b) sum_P kG u
            int upto = p == 3 ? c : (p + 1) * e;
            double acc = 0;
            for (int m = p * e; m < upto; m++) {
                acc += kg[m] * tape[uo + m];
            }
            gz[3 * e + p] = ((double) 1 - tape[bo + p]) * acc;
        }
        vecMat(gd, 0, c, wt, 0, ep, rv, ep);                              // r = W_{t-1} gd;  dq = r;  dk -= r
        for (int r = 0; r < e; r++) {
            dk[r] -= rv[r];
        }
        softmaxBackward(tape, qo, rv, gz, e);
        softmaxBackward(tape, ko, dk, gz, 2 * e);
        System.arraycopy(gradY, xo, gz, 0, e);
        vecMat(gz, 0, c, wt, 0, ep, dxe, ep);                             // dx = W_{t-1} gz
        for (int r = 0; r < e; r++) {                                     // G += outer(q-k, gd) + outer(x, gz)
            axpy2(tape[qo + r] - tape[ko + r], gd, tape[to + r], gz, gradState, go + r * cp);
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

    /** g~ = s (g - &lt;g, s&gt;) for s = tape[so, so+E), written to out[oo, oo+E). */
    private void softmaxBackward(double[] tape, int so, double[] g, double[] out, int oo) {
        int n = e;
        double dotp = 0;
        for (int i = 0; i < n; i++) {
            dotp += g[i] * tape[so + i];
        }
        for (int i = 0; i < n; i++) {
            out[oo + i] = tape[so + i] * (g[i] - dotp);
        }
    }

    /** In-place softmax of a[from, from+n); {@code lanes} is scratch of the SIMD width. */
    private void softmax(double[] a, int from, int n, double[] lanes) {
        if (vector && n % VecF64.lanes() == 0) {
            VecF64.softmax(a, from, n, lanes);
            return;
        }
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

    /** out[0, n) = a[ao, ao+rows) M, for the rows x n matrix at m[mo] with row stride {@code stride}. */
    private void vecMat(double[] a, int ao, int rows, double[] m, int mo, int stride, double[] out, int n) {
        if (vector) {
            VecF64.vecMat(a, ao, rows, m, mo, stride, out, 0, n);
            return;
        }
        Arrays.fill(out, 0, n, (double) 0);
        for (int r = 0; r < rows; r++) {
            double ar = a[ao + r];
            int ro = mo + r * stride;
            for (int j = 0; j < n; j++) {
                out[j] += ar * m[ro + j];
            }
        }
    }

    /** out[0, cp) = x[xo + m] * rate[ro + P(m)]: each column block P scaled by its own rate. */
    private void scaleBlocks(double[] xs, int xo, double[] rate, int ro, double[] out) {
        if (vector && e % VecF64.lanes() == 0) {
            VecF64.scaleBlocks(xs, xo, rate, ro, e, out, cp);
            return;
        }
        for (int p = 0; p < 4; p++) {
            double r = rate[ro + p];
            int upto = p == 3 ? c : (p + 1) * e;
            for (int m = p * e; m < upto; m++) {
                out[m] = r * xs[xo + m];
            }
        }
    }

    /** y[yo, yo+n) += alpha * x[xo, xo+n). */
    private void axpy(double alpha, double[] xs, int xo, double[] ys, int yo, int n) {
        if (vector) {
            VecF64.axpy(alpha, xs, xo, ys, yo, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            ys[yo + i] += alpha * xs[xo + i];
        }
    }

    /** y[yo, yo+cp) += a1 x1 + a2 x2. */
    private void axpy2(double a1, double[] x1, double a2, double[] x2, double[] ys, int yo) {
        if (vector) {
            VecF64.axpy2(a1, x1, a2, x2, ys, yo, cp);
            return;
        }
        for (int i = 0; i < cp; i++) {
            ys[yo + i] += a1 * x1[i] + a2 * x2[i];
        }
    }

    /** Dot product of a[ao, ao+cp) and b[bo, bo+cp); {@code lanes} is scratch of the SIMD width. */
    private double dot(double[] a, int ao, double[] b, int bo, double[] lanes) {
        if (vector) {
            return VecF64.dot(a, ao, b, bo, cp, lanes);
        }
        double s0 = 0;
        double s1 = 0;
        int i = 0;
        for (; i + 1 < cp; i += 2) {
            s0 += a[ao + i] * b[bo + i];
            s1 += a[ao + i + 1] * b[bo + i + 1];
        }
        for (; i < cp; i++) {
            s0 += a[ao + i] * b[bo + i];
        }
        return s0 + s1;
    }
}
