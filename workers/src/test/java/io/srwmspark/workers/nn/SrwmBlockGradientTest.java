package io.srwmspark.workers.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.srwm.FastWeights;
import io.srwmspark.workers.srwm.SrwmKernel;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Both SRWM blocks against central finite differences in float64, with what the reference vectors do not
 * cover: dropout, a step mask, an initial state and a gradient on the final state. Loss
 * L = sum(out * G) + sum(finalState * G_S) for fixed random G, G_S.
 */
class SrwmBlockGradientTest {

    private static final int B = 2;
    private static final int H = 2;
    private static final int E = 3;
    private static final int T = 4;
    private static final int F = 5;
    private static final int D = H * E;
    private static final int C = 3 * E + 4;
    private static final double FD_EPS = 1e-6;

    static java.util.List<String> kernels() {
        return SrwmKernels.NAMES;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void supervisedBlockGradientsMatchFiniteDifferences(String kernelName) {
        Random rng = new Random(11);
        SrwmBlock block = new SrwmBlock(new SrwmBlock.Config(H, E, F, 0.25, 1e-5), SrwmKernels.byName(kernelName));
        SrwmBlock.Params p = supervisedParams(rng);
        INDArray h = randn(rng, 1.0, B, T, D);
        INDArray s0 = FastWeights.init(H, E, DataType.DOUBLE, 5).reshape(1, H, E, C).repeat(0, B)
                .add(randn(rng, 0.1, B, H, E, C));                     // (B, H, E, C) near W_0
        INDArray mask = Nd4j.create(new double[] {1, 1, 0, 1, 1, 1, 1, 0}, new long[] {B, T}, DataType.DOUBLE);
        INDArray g = randn(rng, 1.0, B, T, D);
        INDArray gs = randn(rng, 1.0, B, H, E, C);
        long seed = 77;

        SrwmBlock.Forward fwd = block.forward(p, h, s0, mask, true, seed);
        SrwmBlock.Gradients grads = block.backward(p, fwd, g, gs);
        DoubleSupplier loss = () -> {
            SrwmBlock.Forward f = block.forward(p, h, s0, mask, true, seed);
            return f.out().mul(g).sumNumber().doubleValue() + f.finalState().mul(gs).sumNumber().doubleValue();
        };
        assertEquals(0.0, fwd.out().get(NDArrayIndex.point(0), NDArrayIndex.point(2), NDArrayIndex.all())
                .amaxNumber().doubleValue(), "masked step outputs zeros");
        check("dh", h, grads.dh(), loss, rng);
        check("dInitialState", s0, grads.dInitialState(), loss, rng);
        assertEquals(0.0, grads.dParams().weights().amaxNumber().doubleValue(), "dW_0 with an initial state");
        check("dWOut", p.wOut(), grads.dParams().wOut(), loss, rng);
        check("dLn1Gamma", p.ln1Gamma(), grads.dParams().ln1Gamma(), loss, rng);
        check("dLn1Beta", p.ln1Beta(), grads.dParams().ln1Beta(), loss, rng);
        checkFf(p.ff(), grads.dParams().ff(), loss, rng);

        // Without an initial state the SRWM gradient goes to W_0.
        SrwmBlock.Forward f0 = block.forward(p, h, null, mask, true, seed);
        SrwmBlock.Gradients g0 = block.backward(p, f0, g, null);
        assertNull(g0.dInitialState());
        check("dWeights", p.weights(), g0.dParams().weights(), () -> block.forward(p, h, null, mask, true, seed)
                .out().mul(g).sumNumber().doubleValue(), rng);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void rlBlockGradientsMatchFiniteDifferences(String kernelName) {
        Random rng = new Random(12);
        for (int ff : new int[] {0, F}) {
            SrwmRlBlock block = new SrwmRlBlock(new SrwmRlBlock.Config(H, E, ff, 0.25, 1e-5),
                    SrwmKernels.byName(kernelName));
            SrwmRlBlock.Params p = new SrwmRlBlock.Params(FastWeights.init(H, E, DataType.DOUBLE, 3),
                    randn(rng, 0.4, D, D), ff == 0 ? null : ffWeights(rng, ff));
            INDArray h = randn(rng, 1.0, B, T, D);
            INDArray s0 = randn(rng, 0.5, B, H, E, C);
            INDArray mask = Nd4j.create(new double[] {1, 0, 1, 1, 1, 1, 1, 1}, new long[] {B, T}, DataType.DOUBLE);
            INDArray g = randn(rng, 1.0, B, T, D);
            INDArray gs = randn(rng, 1.0, B, H, E, C);
            long seed = 78;
            SrwmRlBlock.Forward fwd = block.forward(p, h, s0, mask, true, seed);
            SrwmRlBlock.Gradients grads = block.backward(p, fwd, g, gs);
            DoubleSupplier loss = () -> {
                SrwmRlBlock.Forward f = block.forward(p, h, s0, mask, true, seed);
                return f.out().mul(g).sumNumber().doubleValue() + f.finalState().mul(gs).sumNumber().doubleValue();
            };
            check("dh ff=" + ff, h, grads.dh(), loss, rng);
            check("dInitialState ff=" + ff, s0, grads.dInitialState(), loss, rng);
            check("dWOut ff=" + ff, p.wOut(), grads.dParams().wOut(), loss, rng);
            if (ff > 0) {
                checkFf(p.ff(), grads.dParams().ff(), loss, rng);
            } else {
                assertNull(grads.dParams().ff());
            }
            SrwmRlBlock.Forward f0 = block.forward(p, h, null, null, true, seed);
            SrwmRlBlock.Gradients g0 = block.backward(p, f0, g, null);
            check("dWeights ff=" + ff, p.weights(), g0.dParams().weights(), () -> block.forward(p, h, null, null, true,
                    seed).out().mul(g).sumNumber().doubleValue(), rng);
        }
    }

    @Test
    void carryingTheFinalStateEqualsOneLongCall() {
        Random rng = new Random(13);
        SrwmKernel kernel = SrwmKernels.byName("cpu");
        SrwmBlock block = new SrwmBlock(SrwmBlock.Config.of(H, E, F), kernel);
        SrwmBlock.Params p = supervisedParams(rng);
        SrwmRlBlock rl = new SrwmRlBlock(SrwmRlBlock.Config.of(H, E, F), kernel);
        SrwmRlBlock.Params q = new SrwmRlBlock.Params(FastWeights.init(H, E, DataType.DOUBLE, 4), randn(rng, 0.4, D, D),
                ffWeights(rng, F));
        INDArray h = randn(rng, 1.0, B, T, D);
        INDArray first = h.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 1), NDArrayIndex.all()).dup();
        INDArray rest = h.get(NDArrayIndex.all(), NDArrayIndex.interval(1, T), NDArrayIndex.all()).dup();

        SrwmBlock.Forward whole = block.forward(p, h, null, null, false, 0);
        SrwmBlock.Forward a = block.forward(p, first, null, null, false, 0);
        SrwmBlock.Forward b = block.forward(p, rest, a.finalState(), null, false, 0);
        assertClose(whole.finalState(), b.finalState(), 1e-12);
        assertClose(whole.out().get(NDArrayIndex.all(), NDArrayIndex.interval(1, T), NDArrayIndex.all()), b.out(),
                1e-12);

        SrwmRlBlock.Forward rWhole = rl.forward(q, h, null, null, false, 0);
        SrwmRlBlock.Forward ra = rl.forward(q, first, null, null, false, 0);
        SrwmRlBlock.Forward rb = rl.forward(q, rest, ra.finalState(), null, false, 0);
        assertClose(rWhole.finalState(), rb.finalState(), 1e-12);
        assertClose(rWhole.out().get(NDArrayIndex.all(), NDArrayIndex.interval(1, T), NDArrayIndex.all()), rb.out(),
                1e-12);
    }

    @Test
    void dropoutMasksFollowTheSeed() {
        Random rng = new Random(14);
        SrwmBlock block = new SrwmBlock(new SrwmBlock.Config(H, E, F, 0.5, 1e-5), SrwmKernels.byName("cpu"));
        SrwmBlock.Params p = supervisedParams(rng);
        INDArray h = randn(rng, 1.0, B, T, D);
        INDArray a = block.forward(p, h, null, null, true, 1).out();
        assertClose(a, block.forward(p, h, null, null, true, 1).out(), 0);
        assertNotEquals(a, block.forward(p, h, null, null, true, 2).out());
        // Inference ignores dropout and the seed, and keeps no tape.
        SrwmBlock.Forward inf = block.forward(p, h, null, null, false, 1);
        assertNull(inf.tape());
        assertClose(inf.out(), block.forward(p, h, null, null, false, 2).out(), 0);
        assertThrows(IllegalStateException.class, () -> block.backward(p, inf, inf.out(), null));
    }

    @Test
    void invalidInputIsRejected() {
        Random rng = new Random(15);
        SrwmBlock block = new SrwmBlock(SrwmBlock.Config.of(H, E, F), SrwmKernels.byName("cpu"));
        SrwmBlock.Params p = supervisedParams(rng);
        assertThrows(IllegalArgumentException.class, () -> new SrwmBlock.Config(H, E, F, 1.0, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> new SrwmBlock.Config(0, E, F, 0.0, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> new SrwmRlBlock.Config(H, E, -1, 0.0, 1e-5));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> block.forward(p, randn(rng, 1.0, B, T, D + 1), null, null, false, 0));
        assertTrue(ex.getMessage().contains("(B, T, " + D + ")"), ex.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> block.forward(p, randn(rng, 1.0, B, T, D).castTo(DataType.FLOAT), null, null, false, 0));
        assertThrows(IllegalArgumentException.class,
                () -> block.forward(p, randn(rng, 1.0, B, T, D), null, Nd4j.ones(DataType.DOUBLE, B, T + 1), false, 0));
        SrwmBlock.Params wrong = new SrwmBlock.Params(p.weights(), randn(rng, 1.0, D, D + 1), p.ln1Gamma(),
                p.ln1Beta(), p.ff());
        assertThrows(IllegalArgumentException.class,
                () -> block.forward(wrong, randn(rng, 1.0, B, T, D), null, null, false, 0));
    }

    static SrwmBlock.Params supervisedParams(Random rng) {
        return new SrwmBlock.Params(FastWeights.init(H, E, DataType.DOUBLE, 2), randn(rng, 0.4, D, D),
                randn(rng, 0.3, D).addi(1.0), randn(rng, 0.3, D), ffWeights(rng, F));
    }

    static FeedForward.Weights ffWeights(Random rng, int ff) {
        return new FeedForward.Weights(randn(rng, 0.3, D).addi(1.0), randn(rng, 0.3, D), randn(rng, 0.5, D, ff),
                randn(rng, 0.5, ff), randn(rng, 0.5, ff, D), randn(rng, 0.3, D));
    }

    static INDArray randn(Random rng, double scale, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian() * scale;
        }
        return Nd4j.create(v, shape, DataType.DOUBLE);
    }

    private static void checkFf(FeedForward.Weights w, FeedForward.Weights dw, DoubleSupplier loss, Random rng) {
        check("dFfLnGamma", w.lnGamma(), dw.lnGamma(), loss, rng);
        check("dFfLnBeta", w.lnBeta(), dw.lnBeta(), loss, rng);
        check("dFfW1", w.w1(), dw.w1(), loss, rng);
        check("dFfB1", w.b1(), dw.b1(), loss, rng);
        check("dFfW2", w.w2(), dw.w2(), loss, rng);
        check("dFfB2", w.b2(), dw.b2(), loss, rng);
    }

    /** Central differences on 8 random entries of x (perturbed in place, then restored). */
    private static void check(String name, INDArray x, INDArray analytic, DoubleSupplier loss, Random rng) {
        assertEquals(java.util.Arrays.toString(x.shape()), java.util.Arrays.toString(analytic.shape()), name);
        INDArray flat = x.reshape(x.length());
        INDArray grad = analytic.reshape(analytic.length());
        for (int k = 0; k < 8; k++) {
            long i = rng.nextInt((int) x.length());
            double orig = flat.getDouble(i);
            flat.putScalar(i, orig + FD_EPS);
            double up = loss.getAsDouble();
            flat.putScalar(i, orig - FD_EPS);
            double down = loss.getAsDouble();
            flat.putScalar(i, orig);
            double numeric = (up - down) / (2 * FD_EPS);
            double a = grad.getDouble(i);
            double err = Math.abs(numeric - a) / Math.max(Math.abs(numeric) + Math.abs(a), 1e-6);
            assertTrue(err < 1e-5 || Math.abs(numeric - a) < 1e-8, name + "[" + i + "]: analytic " + a
                    + ", numeric " + numeric);
        }
    }

    private static void assertClose(INDArray expected, INDArray actual, double tol) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()));
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= tol, "max |difference| " + diff + " > " + tol);
    }
}
