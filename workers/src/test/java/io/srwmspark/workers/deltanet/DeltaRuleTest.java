package io.srwmspark.workers.deltanet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.rng.Seeds;
import io.srwmspark.workers.srwm.CpuSrwmKernel;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The delta-rule kernel against a naive reference in this file that keeps every fast-weight matrix (column-vector
 * convention W = M^T, forward and hand-written backpropagation through time), against central differences, and
 * for exact invariance to the checkpoint segment and the thread count.
 */
class DeltaRuleTest {

    private static ForkJoinPool one;
    private static ForkJoinPool two;

    @BeforeAll
    static void pools() {
        one = new ForkJoinPool(1);
        two = new ForkJoinPool(2);
    }

    @AfterAll
    static void shutdown() {
        one.shutdown();
        two.shutdown();
    }

    /**
     * @param masked    step (b, t) = (B-1, T/2) is padded
     * @param state     start from a random initial state, and put a gradient on the final state
     * @param segment   checkpoint segment of the kernel
     * @param vectorized SIMD loops
     */
    record Case(String name, int batch, int heads, int steps, int e, boolean masked, boolean state, int segment,
            boolean vectorized) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        boolean v = CpuSrwmKernel.VECTOR_API_AVAILABLE;
        return List.of(
                new Case("T=1, batch 1, one head, E=1", 1, 1, 1, 1, false, false, 32, v),
                new Case("one head, masked step, initial state", 2, 1, 6, 3, true, true, 4, v),
                new Case("segments of 3 over T=10, E=16", 2, 3, 10, 16, true, true, 3, v),
                new Case("segment 1, E=5", 3, 2, 7, 5, false, true, 1, v),
                new Case("scalar loops", 2, 2, 9, 4, true, true, 4, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheNaiveReference(Case c) {
        Problem p = new Problem(c, DataType.DOUBLE, 1);
        DeltaRule rule = new DeltaRule(two, c.segment, c.vectorized);
        DeltaRule.Output out = rule.forward(p.in, true);
        DeltaRule.Gradients g = rule.backward(p.in, out, p.gy, p.gs);
        Reference ref = new Reference(p);
        assertClose("y", ref.y, out.y(), 1e-12);
        assertClose("final state", ref.finalState, out.finalState(), 1e-12);
        assertClose("dx", ref.dx, g.dx(), 1e-11);
        if (c.state) {
            assertClose("dInitialState", ref.dState, g.dInitialState(), 1e-11);
        } else {
            assertNull(g.dInitialState());
        }
        if (c.masked) {
            int b = c.batch - 1;
            int t = c.steps / 2;
            for (int h = 0; h < c.heads; h++) {
                for (int i = 0; i < c.e; i++) {
                    assertEquals(0.0, out.y().getDouble(b, t, h, i), "masked step outputs 0");
                }
                for (int i = 0; i < 3 * c.e + 1; i++) {
                    assertEquals(0.0, g.dx().getDouble(b, t, h, i), "masked step passes no gradient");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchCentralDifferences(Case c) {
        Problem p = new Problem(c, DataType.DOUBLE, 2);
        DeltaRule rule = new DeltaRule(one, c.segment, c.vectorized);
        DeltaRule.Gradients g = rule.backward(p.in, rule.forward(p.in, true), p.gy, p.gs);
        DoubleSupplier loss = () -> {
            DeltaRule.Output o = rule.forward(p.in, false);
            double l = o.y().mul(p.gy).sumNumber().doubleValue();
            return p.gs == null ? l : l + o.finalState().mul(p.gs).sumNumber().doubleValue();
        };
        checkAll("dx", p.x, g.dx(), loss);
        if (c.state) {
            checkAll("dInitialState", p.s0, g.dInitialState(), loss);
        }
    }

    @Test
    void segmentAndThreadCountDoNotChangeABit() {
        Case c = new Case("", 3, 4, 23, 16, true, true, 32, CpuSrwmKernel.VECTOR_API_AVAILABLE);
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            Problem p = new Problem(c, type, 3);
            DeltaRule base = new DeltaRule(one, 32, c.vectorized);
            DeltaRule.Output o0 = base.forward(p.in, true);
            DeltaRule.Gradients g0 = base.backward(p.in, o0, p.gy, p.gs);
            for (DeltaRule rule : new DeltaRule[] {new DeltaRule(two, 32, c.vectorized),
                    new DeltaRule(two, 1, c.vectorized), new DeltaRule(one, 5, c.vectorized)}) {
                DeltaRule.Output o = rule.forward(p.in, true);
                DeltaRule.Gradients g = rule.backward(p.in, o, p.gy, p.gs);
                String what = type + " segment " + rule.segment();
                assertIdentical(what + " y", o0.y(), o.y());
                assertIdentical(what + " final state", o0.finalState(), o.finalState());
                assertIdentical(what + " dx", g0.dx(), g.dx());
                assertIdentical(what + " dInitialState", g0.dInitialState(), g.dInitialState());
            }
        }
    }

    @Test
    void float32AgreesWithFloat64() {
        Case c = new Case("", 2, 3, 40, 16, true, true, 8, CpuSrwmKernel.VECTOR_API_AVAILABLE);
        Problem p64 = new Problem(c, DataType.DOUBLE, 4);
        Problem p32 = new Problem(c, DataType.FLOAT, 4);
        DeltaRule rule = new DeltaRule(two, c.segment, c.vectorized);
        DeltaRule.Output o64 = rule.forward(p64.in, true);
        DeltaRule.Output o32 = rule.forward(p32.in, true);
        DeltaRule.Gradients g64 = rule.backward(p64.in, o64, p64.gy, p64.gs);
        DeltaRule.Gradients g32 = rule.backward(p32.in, o32, p32.gy, p32.gs);
        assertClose("y", o64.y(), o32.y(), 1e-5);
        assertClose("final state", o64.finalState(), o32.finalState(), 1e-5);
        assertClose("dx", g64.dx(), g32.dx(), 1e-5);
        assertClose("dInitialState", g64.dInitialState(), g32.dInitialState(), 1e-5);
    }

    @Test
    void vectorAndScalarLoopsAgree() {
        if (!CpuSrwmKernel.VECTOR_API_AVAILABLE) {
            return;
        }
        Case c = new Case("", 2, 2, 12, 6, true, true, 5, true);
        Problem p = new Problem(c, DataType.DOUBLE, 5);
        DeltaRule simd = new DeltaRule(two, 5, true);
        DeltaRule scalar = new DeltaRule(two, 5, false);
        DeltaRule.Output a = simd.forward(p.in, true);
        DeltaRule.Output b = scalar.forward(p.in, true);
        assertClose("y", a.y(), b.y(), 1e-13);
        assertClose("dx", simd.backward(p.in, a, p.gy, p.gs).dx(), scalar.backward(p.in, b, p.gy, p.gs).dx(), 1e-13);
    }

    @Test
    void invalidUseIsRejected() {
        INDArray x = Seeds.gaussian(DataType.DOUBLE, 1, 1, 2, 3, 1, 7);  // (B, T, H, 3E+1), E = 2
        assertThrows(IllegalArgumentException.class, () -> DeltaRule.Input.of(Nd4j.zeros(DataType.DOUBLE, 2, 3, 1, 6)));
        assertThrows(IllegalArgumentException.class, () -> DeltaRule.Input.of(Nd4j.zeros(DataType.DOUBLE, 2, 3, 7)));
        assertThrows(IllegalArgumentException.class, () -> DeltaRule.Input.of(x.castTo(DataType.INT32)));
        assertThrows(IllegalArgumentException.class,
                () -> new DeltaRule.Input(x, Nd4j.zeros(DataType.DOUBLE, 2, 1, 2, 3), null));
        assertThrows(IllegalArgumentException.class,
                () -> new DeltaRule.Input(x, Nd4j.zeros(DataType.FLOAT, 2, 1, 2, 2), null));
        assertThrows(IllegalArgumentException.class, () -> new DeltaRule.Input(x, null, Nd4j.ones(2, 4)));
        assertThrows(IllegalArgumentException.class, () -> new DeltaRule(one, 0, false));

        DeltaRule rule = new DeltaRule(one, 2, false);
        DeltaRule.Input in = DeltaRule.Input.of(x);
        INDArray gy = Nd4j.ones(DataType.DOUBLE, 2, 3, 1, 2);
        DeltaRule.Output inference = rule.forward(in, false);
        assertNull(inference.tape());
        assertThrows(IllegalStateException.class, () -> rule.backward(in, inference, gy, null));
        DeltaRule.Output out = rule.forward(in, true);
        assertThrows(IllegalArgumentException.class,
                () -> rule.backward(in, out, Nd4j.ones(DataType.DOUBLE, 2, 3, 1, 3), null));
        assertThrows(IllegalArgumentException.class, () -> rule.backward(in, out, gy.castTo(DataType.FLOAT), null));
        assertTrue(out.tape().bytes() > 0);
        out.tape().release();
        assertThrows(IllegalStateException.class, () -> rule.backward(in, out, gy, null));
    }

    /** Random inputs of a case: x, optional s0, mask, and the loss weights gy (and gs with a state). */
    private static final class Problem {
        final Case c;
        final INDArray x;
        final INDArray s0;
        final INDArray mask;
        final INDArray gy;
        final INDArray gs;
        final DeltaRule.Input in;

        Problem(Case c, DataType type, long seed) {
            this.c = c;
            x = Seeds.gaussian(type, Seeds.derive(seed, 1), 1.0, c.batch, c.steps, c.heads, 3L * c.e + 1);
            s0 = c.state ? Seeds.gaussian(type, Seeds.derive(seed, 2), 0.5, c.batch, c.heads, c.e, c.e) : null;
            gy = Seeds.gaussian(type, Seeds.derive(seed, 3), 1.0, c.batch, c.steps, c.heads, c.e);
            gs = c.state ? Seeds.gaussian(type, Seeds.derive(seed, 4), 1.0, c.batch, c.heads, c.e, c.e) : null;
            if (c.masked) {
                mask = Nd4j.ones(type, c.batch, c.steps);
                mask.putScalar(c.batch - 1, c.steps / 2, 0.0);
            } else {
                mask = null;
            }
            in = new DeltaRule.Input(x, s0, mask);
        }
    }

    /**
     * The recurrence written the obvious way, column vectors, W (E_v x E_k) = M^T, every W_t kept:
     * v_bar = W k, W_t = W_{t-1} + beta (v - v_bar) k^T, y = W_t q. Backward by the chain rule through the
     * kept matrices.
     */
    private static final class Reference {
        final INDArray y;
        final INDArray finalState;
        final INDArray dx;
        final INDArray dState;

        Reference(Problem p) {
            Case c = p.c;
            int e = c.e;
            int w = 3 * e + 1;
            double[] yv = new double[c.batch * c.steps * c.heads * e];
            double[] fs = new double[c.batch * c.heads * e * e];
            double[] dxv = new double[c.batch * c.steps * c.heads * w];
            double[] dsv = new double[fs.length];
            for (int b = 0; b < c.batch; b++) {
                for (int h = 0; h < c.heads; h++) {
                    double[][][] ws = new double[c.steps + 1][e][e];
                    double[][] q = new double[c.steps][];
                    double[][] k = new double[c.steps][];
                    double[][] pq = new double[c.steps][];
                    double[][] pk = new double[c.steps][];
                    double[] beta = new double[c.steps];
                    for (int i = 0; i < e; i++) {
                        for (int j = 0; j < e; j++) {
                            ws[0][i][j] = p.s0 == null ? 0 : p.s0.getDouble(b, h, j, i);  // W = M^T
                        }
                    }
                    for (int t = 0; t < c.steps; t++) {
                        double[][] wPrev = ws[t];
                        double[][] wNew = ws[t + 1];
                        if (masked(p, b, t)) {
                            for (int i = 0; i < e; i++) {
                                wNew[i] = wPrev[i].clone();
                            }
                            continue;
                        }
                        pq[t] = new double[e];
                        pk[t] = new double[e];
                        q[t] = features(p.x, b, t, h, 0, e, pq[t]);
                        k[t] = features(p.x, b, t, h, e, e, pk[t]);
                        beta[t] = 1 / (1 + Math.exp(-p.x.getDouble(b, t, h, 3 * e)));
                        for (int i = 0; i < e; i++) {
                            double vbar = 0;
                            for (int j = 0; j < e; j++) {
                                vbar += wPrev[i][j] * k[t][j];
                            }
                            double r = p.x.getDouble(b, t, h, 2 * e + i) - vbar;
                            for (int j = 0; j < e; j++) {
                                wNew[i][j] = wPrev[i][j] + beta[t] * r * k[t][j];
                            }
                        }
                        for (int i = 0; i < e; i++) {
                            double s = 0;
                            for (int j = 0; j < e; j++) {
                                s += wNew[i][j] * q[t][j];
                            }
                            yv[((b * c.steps + t) * c.heads + h) * e + i] = s;
                        }
                    }
                    double[][] gw = new double[e][e];                   // dL/dW_t
                    for (int i = 0; i < e; i++) {
                        for (int j = 0; j < e; j++) {
                            fs[((b * c.heads + h) * e + j) * e + i] = ws[c.steps][i][j];
                            gw[i][j] = p.gs == null ? 0 : p.gs.getDouble(b, h, j, i);
                        }
                    }
                    for (int t = c.steps - 1; t >= 0; t--) {
                        if (masked(p, b, t)) {
                            continue;
                        }
                        double[][] wPrev = ws[t];
                        double[][] wNew = ws[t + 1];
                        double[] gy = new double[e];
                        for (int i = 0; i < e; i++) {
                            gy[i] = p.gy.getDouble(b, t, h, i);
                        }
                        double[] dq = new double[e];
                        for (int i = 0; i < e; i++) {                   // y = W_t q
                            for (int j = 0; j < e; j++) {
                                gw[i][j] += gy[i] * q[t][j];
                                dq[j] += wNew[i][j] * gy[i];
                            }
                        }
                        double[] r = new double[e];                     // r = v - W_{t-1} k
                        for (int i = 0; i < e; i++) {
                            r[i] = p.x.getDouble(b, t, h, 2 * e + i);
                            for (int j = 0; j < e; j++) {
                                r[i] -= wPrev[i][j] * k[t][j];
                            }
                        }
                        // W_t = W_{t-1} + beta r k^T
                        double[] dr = new double[e];
                        double[] dk = new double[e];
                        double dbeta = 0;
                        for (int i = 0; i < e; i++) {
                            for (int j = 0; j < e; j++) {
                                dr[i] += beta[t] * gw[i][j] * k[t][j];
                                dk[j] += beta[t] * gw[i][j] * r[i];
                                dbeta += gw[i][j] * r[i] * k[t][j];
                            }
                        }
                        // r = v - W_{t-1} k
                        for (int i = 0; i < e; i++) {
                            for (int j = 0; j < e; j++) {
                                dk[j] -= wPrev[i][j] * dr[i];
                                gw[i][j] -= dr[i] * k[t][j];
                            }
                        }
                        int xo = ((b * c.steps + t) * c.heads + h) * w;
                        featuresBackward(dq, pq[t], dxv, xo);
                        featuresBackward(dk, pk[t], dxv, xo + e);
                        for (int i = 0; i < e; i++) {
                            dxv[xo + 2 * e + i] = dr[i];
                        }
                        dxv[xo + 3 * e] = dbeta * beta[t] * (1 - beta[t]);
                    }
                    for (int i = 0; i < e; i++) {
                        for (int j = 0; j < e; j++) {
                            dsv[((b * c.heads + h) * e + j) * e + i] = gw[i][j];
                        }
                    }
                }
            }
            y = Nd4j.create(yv, new long[] {c.batch, c.steps, c.heads, e}, DataType.DOUBLE);
            finalState = Nd4j.create(fs, new long[] {c.batch, c.heads, e, e}, DataType.DOUBLE);
            dx = Nd4j.create(dxv, new long[] {c.batch, c.steps, c.heads, w}, DataType.DOUBLE);
            dState = Nd4j.create(dsv, new long[] {c.batch, c.heads, e, e}, DataType.DOUBLE);
        }

        private static boolean masked(Problem p, int b, int t) {
            return p.mask != null && p.mask.getDouble(b, t) == 0;
        }

        /** phi(z) = elu(z) + 1 into phi, and phi / sum(phi) returned, for z = x[b, t, h, from .. from+e). */
        private static double[] features(INDArray x, int b, int t, int h, int from, int e, double[] phi) {
            double sum = 0;
            for (int i = 0; i < e; i++) {
                double z = x.getDouble(b, t, h, from + i);
                phi[i] = z > 0 ? z + 1 : Math.exp(z);
                sum += phi[i];
            }
            double[] out = new double[e];
            for (int i = 0; i < e; i++) {
                out[i] = phi[i] / sum;
            }
            return out;
        }

        /** dz from d(phi / sum(phi)), by the quotient rule on phi and phi'(z) = (z > 0 ? 1 : phi). */
        private static void featuresBackward(double[] g, double[] phi, double[] out, int oo) {
            double sum = Arrays.stream(phi).sum();
            double gphi = 0;
            for (int i = 0; i < phi.length; i++) {
                gphi += g[i] * phi[i];
            }
            for (int i = 0; i < phi.length; i++) {
                double dphi = g[i] / sum - gphi / (sum * sum);
                out[oo + i] = dphi * (phi[i] > 1 ? 1 : phi[i]);
            }
        }
    }

    /** Central differences on every entry of x (perturbed in place, then restored). */
    private static void checkAll(String name, INDArray x, INDArray analytic, DoubleSupplier loss) {
        assertEquals(Arrays.toString(x.shape()), Arrays.toString(analytic.shape()), name);
        double eps = 1e-5;                                                // the loss sums thousands of terms
        for (long i = 0; i < x.length(); i++) {
            double orig = x.getDouble(i);
            x.putScalar(i, orig + eps);
            double up = loss.getAsDouble();
            x.putScalar(i, orig - eps);
            double down = loss.getAsDouble();
            x.putScalar(i, orig);
            double numeric = (up - down) / (2 * eps);
            double a = analytic.getDouble(i);
            double err = Math.abs(numeric - a) / Math.max(Math.abs(numeric) + Math.abs(a), 1e-6);
            assertTrue(err < 1e-5 || Math.abs(numeric - a) < 1e-8, name + "[" + i + "]: analytic " + a
                    + ", numeric " + numeric);
        }
    }

    /** Same shape and the same bits in every entry (INDArray.equals allows a tolerance). */
    private static void assertIdentical(String name, INDArray expected, INDArray actual) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), name);
        assertArrayEquals(expected.dup('c').data().asDouble(), actual.dup('c').data().asDouble(), name);
    }

    /** max |expected - actual| &lt;= tol max(1, max |expected|). */
    private static void assertClose(String name, INDArray expected, INDArray actual, double tol) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), name);
        INDArray a = actual.castTo(DataType.DOUBLE);
        INDArray ex = expected.castTo(DataType.DOUBLE);
        double diff = ex.sub(a).amaxNumber().doubleValue();
        double scale = Math.max(1.0, ex.amaxNumber().doubleValue());
        assertTrue(diff <= tol * scale, name + ": max |difference| " + diff + " > " + tol + " * " + scale);
    }
}
