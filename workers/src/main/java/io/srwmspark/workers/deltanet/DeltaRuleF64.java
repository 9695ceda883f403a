package io.srwmspark.workers.deltanet;

import io.srwmspark.workers.srwm.VecF64;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The float64 math of {@link DeltaRule}: one (batch, head) block at a time, on plain Java arrays.
 *
 * <p>This file is also the template of its float32 twin {@code DeltaRuleF32}, generated at build time by
 * replacing the primitive type (see workers/pom.xml), so write constants as casts ({@code (double) 1}) and
 * wrap {@code Math.exp} in {@code (double)}.
 *
 * <p>Every per-head vector is held zero-padded to {@code ep}, E rounded up to the SIMD width, and so are the
 * rows of the matrices: M (E x ep, row j = key j) in the forward and the state gradient G, and M^T (E x ep,
 * row i = value i) in the backward, so every product below is a SIMD row-vector-times-matrix sweep or an
 * axpy, and the padding stays zero. Per step t of a block (equations in {@link DeltaRule}):
 * <pre>
 *   forward:  pq = phi(q~)  q = pq / sum(pq)   pk, k likewise   beta = sigmoid(beta~)
 *             d = v - k M     M[j] += k[j] beta d     y = q M
 *   tape:     pq, pk, d (ep each), 1/sum(pq), 1/sum(pk), beta        V = 3 ep + 3 values
 *   backward: u = beta d   kG = k G   du = kG + (k.q) gy   dk[j] = G[j].u + (gy.u) q[j]
 *             a = gy M^T_{t-1}   b = du M^T_{t-1}   dq = a + (gy.u) k   dk -= beta b
 *             G[j] += q[j] gy - beta k[j] du
 * </pre>
 * Checkpoints hold M before the first step of every segment but the first. The backward of a segment copies
 * that checkpoint transposed, M^T_{start-1}, and replays M^T &lt;- M^T + outer(u, k) over the segment into a
 * scratch stack of {@code segment} matrices: the same products, with the same rounding, as the forward's
 * M &lt;- M + outer(k, u), so the backward sees bit for bit the forward's matrices.
 */
@SuppressWarnings("cast") // the casts are redundant here but needed in the generated float32 twin
final class DeltaRuleF64 implements DeltaRule.Call {

    private final int batch;
    private final int heads;
    private final int steps;
    private final int e;
    private final int ep;
    private final int width;       // 3E + 1
    private final int segment;
    private final int segments;
    private final int vec;         // tape values per step: 3 ep + 3
    private final boolean training;
    private final boolean vector;

    private double[] x;            // (B, T, H, 3E+1), dropped after the forward
    private final double[] s0;     // (B, H, E, ep) or null
    private final double[] mask;   // (B, T) or null
    private final double[] y;      // (B, T, H, E)
    private final double[] state;  // (B, H, E, ep): the running, then final, M
    private double[] tape;         // (B, H, T, V)
    private double[] ckpt;         // (B, H, segments - 1, E, ep): M before segments 1 .. segments-1
    private boolean released;

    DeltaRuleF64(DeltaRule.Input in, boolean training, int segment, boolean vector) {
        this.batch = in.batch();
        this.heads = in.heads();
        this.steps = in.steps();
        this.e = in.headSize();
        this.vector = vector;
        int lanes = vector ? VecF64.lanes() : 1;
        this.ep = (e + lanes - 1) / lanes * lanes;
        this.width = 3 * e + 1;
        this.segment = segment;
        this.segments = (steps + segment - 1) / segment;
        this.vec = 3 * ep + 3;
        this.training = training;
        this.x = toArray(in.x());
        this.s0 = in.initialState() == null ? null : pad(toArray(in.initialState()));
        this.mask = in.mask() == null ? null : toArray(in.mask().castTo(DataType.DOUBLE));
        this.y = new double[batch * steps * heads * e];
        this.state = new double[batch * heads * e * ep];
        this.tape = training ? new double[Math.multiplyExact(batch * heads * steps, vec)] : null;
        this.ckpt = training ? new double[batch * heads * Math.max(0, segments - 1) * e * ep] : null;
    }

    /** A copy of the array's values in C order. */
    private static double[] toArray(INDArray a) {
        INDArray d = a.dataType() == DataType.DOUBLE ? a : a.castTo(DataType.DOUBLE);
        if (d.isView() || d.ordering() != 'c' || d.data().length() != d.length()) {
            d = d.dup('c');
        }
        return d.data().asDouble();
    }

    /** Rows of E values to rows of stride ep (zero padding). */
    private double[] pad(double[] rows) {
        if (ep == e) {
            return rows;
        }
        int n = rows.length / e;
        double[] out = new double[n * ep];
        for (int r = 0; r < n; r++) {
            System.arraycopy(rows, r * e, out, r * ep, e);
        }
        return out;
    }

    /** Rows of stride ep back to rows of E values, as an array of the given shape. */
    private INDArray unpad(double[] rows, long... shape) {
        double[] out = rows;
        if (ep != e) {
            int n = rows.length / ep;
            out = new double[n * e];
            for (int r = 0; r < n; r++) {
                System.arraycopy(rows, r * ep, out, r * e, e);
            }
        }
        return Nd4j.create(Nd4j.createBuffer(out), shape);
    }

    @Override
    public long bytes() {
        return tape == null ? 0L : (long) Double.BYTES * (tape.length + ckpt.length);
    }

    @Override
    public void release() {
        released = true;
        tape = null;
        ckpt = null;
    }

    @Override
    public INDArray y() {
        return Nd4j.create(Nd4j.createBuffer(y), new long[] {batch, steps, heads, e});
    }

    @Override
    public INDArray finalState() {
        return unpad(state, batch, heads, e, e);
    }

    @Override
    public void forwardDone() {
        x = null;                                                         // the backward does not read x
    }

    private boolean masked(int b, int t) {
        return mask != null && mask[b * steps + t] == (double) 0;
    }

    /** Per-range scratch vectors (all of length ep, padding zero) and the backward's stack of M^T. */
    private final class Scratch {
        final double[] pq = new double[ep];
        final double[] pk = new double[ep];
        final double[] q = new double[ep];
        final double[] k = new double[ep];
        final double[] v = new double[ep];
        final double[] d = new double[ep];
        final double[] u = new double[ep];
        final double[] yv = new double[ep];
        final double[] gy = new double[ep];
        final double[] kg = new double[ep];
        final double[] du = new double[ep];
        final double[] dq = new double[ep];
        final double[] dk = new double[ep];
        final double[] a = new double[ep];
        final double[] b = new double[ep];
        final double[] lanes = new double[vector ? VecF64.lanes() : 1];
        double[] stack;                                                   // (segment, E, ep) in the backward
    }

    @Override
    public void forwardBlocks(int from, int to) {
        Scratch sc = new Scratch();
        for (int bh = from; bh < to; bh++) {
            forwardBlock(bh, sc);
        }
    }

    private void forwardBlock(int bh, Scratch sc) {
        int b = bh / heads;
        int h = bh % heads;
        int eep = e * ep;
        int so = bh * eep;
        if (s0 != null) {
            System.arraycopy(s0, so, state, so, eep);
        }
        for (int t = 0; t < steps; t++) {
            if (training && t > 0 && t % segment == 0) {
                System.arraycopy(state, so, ckpt, (bh * (segments - 1) + t / segment - 1) * eep, eep);
            }
            if (!masked(b, t)) {
                forwardStep(bh, b, h, t, so, sc);
            }
        }
    }

    /** One step of one block: the update of M at state[so] and y_t. */
    private void forwardStep(int bh, int b, int h, int t, int so, Scratch sc) {
        int xo = ((b * steps + t) * heads + h) * width;
        double invq = features(x, xo, sc.pq, sc.q);
        double invk = features(x, xo + e, sc.pk, sc.k);
        double beta = (double) 1 / ((double) 1 + (double) Math.exp(-x[xo + 3 * e]));
        System.arraycopy(x, xo + 2 * e, sc.v, 0, e);
        double[] d = sc.d;
        double[] u = sc.u;
        double[] k = sc.k;
        vecMat(k, state, so, d);                                          // v_bar = k M
        for (int i = 0; i < ep; i++) {
            d[i] = sc.v[i] - d[i];                                        // d = v - v_bar
            u[i] = beta * d[i];
        }
        for (int j = 0; j < e; j++) {                                     // M += outer(k, u)
            axpy(k[j], u, state, so + j * ep);
        }
        vecMat(sc.q, state, so, sc.yv);                                   // y = q M
        System.arraycopy(sc.yv, 0, y, ((b * steps + t) * heads + h) * e, e);
        if (training) {
            int to = (bh * steps + t) * vec;
            System.arraycopy(sc.pq, 0, tape, to, ep);
            System.arraycopy(sc.pk, 0, tape, to + ep, ep);
            System.arraycopy(d, 0, tape, to + 2 * ep, ep);
            tape[to + 3 * ep] = invq;
            tape[to + 3 * ep + 1] = invk;
            tape[to + 3 * ep + 2] = beta;
        }
    }

    /** p = phi(src[so, so+E)) zero-padded, out = p / sum(p); returns 1 / sum(p). */
    private double features(double[] src, int so, double[] p, double[] out) {
        if (vector) {
            System.arraycopy(src, so, p, 0, e);
            VecF64.eluPlusOne(p, 0, ep);
            Arrays.fill(p, e, ep, (double) 0);
        } else {
            for (int i = 0; i < e; i++) {
                double z = src[so + i];
                p[i] = z > (double) 0 ? z + (double) 1 : (double) Math.exp(z);
            }
        }
        double sum = 0;
        for (int i = 0; i < e; i++) {
            sum += p[i];
        }
        double inv = (double) 1 / sum;
        for (int i = 0; i < e; i++) {
            out[i] = p[i] * inv;
        }
        return inv;
    }

    @Override
    public DeltaRule.BackwardRun backward(INDArray gradY, INDArray gradFinalState) {
        if (released || tape == null) {
            throw new IllegalStateException("this delta-rule tape was released; run the forward again");
        }
        double[] gs = gradFinalState == null ? new double[batch * heads * e * ep] : pad(toArray(gradFinalState));
        return new Backward(toArray(gradY), gs);
    }

    /** One backward pass: dL/dy in, dL/dx and dL/dM_0 out. */
    private final class Backward implements DeltaRule.BackwardRun {
        private final double[] gradY;      // (B, T, H, E)
        private final double[] gradState;  // (B, H, E, ep): G = dL/dM_t, ends as dL/dM_0
        private final double[] dx;         // (B, T, H, 3E+1)

        Backward(double[] gradY, double[] gradState) {
            this.gradY = gradY;
            this.gradState = gradState;
            this.dx = new double[batch * steps * heads * width];
        }

        @Override
        public void blocks(int from, int to) {
            Scratch sc = new Scratch();
            sc.stack = new double[Math.min(segment, steps) * e * ep];
            for (int bh = from; bh < to; bh++) {
                backwardBlock(bh, sc, gradY, gradState, dx);
            }
        }

        @Override
        public DeltaRule.Gradients gradients() {
            INDArray dxa = Nd4j.create(Nd4j.createBuffer(dx), new long[] {batch, steps, heads, width});
            return new DeltaRule.Gradients(dxa, s0 == null ? null : unpad(gradState, batch, heads, e, e));
        }
    }

    private void backwardBlock(int bh, Scratch sc, double[] gradY, double[] gradState, double[] dx) {
        int b = bh / heads;
        int h = bh % heads;
        int eep = e * ep;
        int go = bh * eep;
        double[] stack = sc.stack;
        for (int seg = segments - 1; seg >= 0; seg--) {
            int start = seg * segment;
            int end = Math.min(steps, start + segment);
            // stack[0] = M^T before step `start`
            if (seg == 0 && s0 == null) {
                Arrays.fill(stack, 0, eep, (double) 0);
            } else {
                double[] src = seg == 0 ? s0 : ckpt;
                int so = seg == 0 ? bh * eep : (bh * (segments - 1) + seg - 1) * eep;
                for (int j = 0; j < e; j++) {
                    for (int i = 0; i < e; i++) {
                        stack[i * ep + j] = src[so + j * ep + i];
                    }
                }
            }
            for (int t = start; t < end - 1; t++) {                       // stack[t+1-start] = M^T_t
                int cur = (t - start) * eep;
                System.arraycopy(stack, cur, stack, cur + eep, eep);
                if (!masked(b, t)) {
                    int to = (bh * steps + t) * vec;
                    recompute(to, sc);
                    for (int i = 0; i < e; i++) {                         // M^T += outer(u, k)
                        axpy(sc.u[i], sc.k, stack, cur + eep + i * ep);
                    }
                }
            }
            for (int t = end - 1; t >= start; t--) {
                if (!masked(b, t)) {
                    backwardStep(bh, b, h, t, (t - start) * eep, go, sc, gradY, gradState, dx);
                }
            }
        }
    }

    /** q, k and u of a step from the tape, computed as in the forward. */
    private void recompute(int to, Scratch sc) {
        double invq = tape[to + 3 * ep];
        double invk = tape[to + 3 * ep + 1];
        double beta = tape[to + 3 * ep + 2];
        for (int i = 0; i < e; i++) {
            sc.q[i] = tape[to + i] * invq;
            sc.k[i] = tape[to + ep + i] * invk;
        }
        for (int i = 0; i < ep; i++) {
            sc.u[i] = beta * tape[to + 2 * ep + i];
        }
    }

    /** One step of one block, backwards; M^T_{t-1} is at sc.stack[mo], G at gradState[go]. */
    private void backwardStep(int bh, int b, int h, int t, int mo, int go, Scratch sc, double[] gradY,
            double[] gradState, double[] dx) {
        int to = (bh * steps + t) * vec;
        recompute(to, sc);
        double beta = tape[to + 3 * ep + 2];
        double[] q = sc.q;
        double[] k = sc.k;
        double[] u = sc.u;
        double[] gy = sc.gy;
        double[] du = sc.du;
        double[] dq = sc.dq;
        double[] dk = sc.dk;
        int yo = ((b * steps + t) * heads + h) * e;
        System.arraycopy(gradY, yo, gy, 0, e);
        vecMat(k, gradState, go, sc.kg);                                  // kG = k G
        double kq = dot(k, 0, q, 0, sc.lanes);
        double gu = dot(gy, 0, u, 0, sc.lanes);
        for (int i = 0; i < ep; i++) {
            du[i] = sc.kg[i] + kq * gy[i];                                // du = k G + (k.q) gy
        }
        for (int j = 0; j < e; j++) {                                     // dk = G u + (gy.u) q
            dk[j] = dot(gradState, go + j * ep, u, 0, sc.lanes) + gu * q[j];
        }
        vecMat(gy, sc.stack, mo, sc.a);                                   // a = M_{t-1} gy
        vecMat(du, sc.stack, mo, sc.b);                                   // b = M_{t-1} du
        for (int j = 0; j < e; j++) {
            dq[j] = sc.a[j] + gu * k[j];
            dk[j] -= beta * sc.b[j];
        }
        for (int j = 0; j < e; j++) {                                     // G += outer(q, gy) - beta outer(k, du)
            axpy2(q[j], gy, -beta * k[j], du, gradState, go + j * ep);
        }
        double dd = dot(du, 0, tape, to + 2 * ep, sc.lanes);
        int xo = ((b * steps + t) * heads + h) * width;
        featuresBackward(dq, q, tape, to, tape[to + 3 * ep], dx, xo);
        featuresBackward(dk, k, tape, to + ep, tape[to + 3 * ep + 1], dx, xo + e);
        for (int i = 0; i < e; i++) {
            dx[xo + 2 * e + i] = beta * du[i];                            // dv = beta du
        }
        dx[xo + 3 * e] = beta * ((double) 1 - beta) * dd;                 // dbeta~ = beta (1 - beta) (du.d)
    }

    /** out[oo, oo+E) = (g - (g.s)) inv min(p, 1): back through s = p inv, p = phi(z); p at tape[po]. */
    private void featuresBackward(double[] g, double[] s, double[] tp, int po, double inv, double[] out, int oo) {
        double gs = 0;
        for (int i = 0; i < e; i++) {
            gs += g[i] * s[i];
        }
        for (int i = 0; i < e; i++) {
            out[oo + i] = (g[i] - gs) * inv * Math.min(tp[po + i], (double) 1);
        }
    }

    /** out[0, ep) = a[0, E) M for the E x ep matrix at m[mo]. */
    private void vecMat(double[] a, double[] m, int mo, double[] out) {
        if (vector) {
            VecF64.vecMat(a, 0, e, m, mo, ep, out, 0, ep);
            return;
        }
        Arrays.fill(out, 0, ep, (double) 0);
        for (int r = 0; r < e; r++) {
            double ar = a[r];
            int ro = mo + r * ep;
            for (int j = 0; j < ep; j++) {
                out[j] += ar * m[ro + j];
            }
        }
    }

    /** ys[yo, yo+ep) += alpha * xs[0, ep). */
    private void axpy(double alpha, double[] xs, double[] ys, int yo) {
        if (vector) {
            VecF64.axpy(alpha, xs, 0, ys, yo, ep);
            return;
        }
        for (int i = 0; i < ep; i++) {
            ys[yo + i] += alpha * xs[i];
        }
    }

    /** ys[yo, yo+ep) += a1 x1 + a2 x2. */
    private void axpy2(double a1, double[] x1, double a2, double[] x2, double[] ys, int yo) {
        if (vector) {
            VecF64.axpy2(a1, x1, a2, x2, ys, yo, ep);
            return;
        }
        for (int i = 0; i < ep; i++) {
            ys[yo + i] += a1 * x1[i] + a2 * x2[i];
        }
    }

    /** Dot product of a[ao, ao+ep) and b[bo, bo+ep); {@code lanes} is scratch of the SIMD width. */
    private double dot(double[] a, int ao, double[] b, int bo, double[] lanes) {
        if (vector) {
            return VecF64.dot(a, ao, b, bo, ep, lanes);
        }
        double s = 0;
        for (int i = 0; i < ep; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }
}
