package io.srwmspark.workers.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Finite-difference and comparison helpers of the sequence-block tests. */
final class BlockChecks {

    private static final double FD_EPS = 1e-6;

    private BlockChecks() {
    }

    /** Gaussian entries times {@code scale}, float64. */
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

    /** Random feed-forward weights of width D and hidden size F, float64. */
    static FeedForward.Weights ffWeights(Random rng, int d, int f) {
        return new FeedForward.Weights(randn(rng, 0.3, d).addi(1.0), randn(rng, 0.3, d), randn(rng, 0.5, d, f),
                randn(rng, 0.5, f), randn(rng, 0.5, f, d), randn(rng, 0.3, d));
    }

    static FeedForward.Weights cast(FeedForward.Weights w, DataType type) {
        return w == null ? null : new FeedForward.Weights(w.lnGamma().castTo(type), w.lnBeta().castTo(type),
                w.w1().castTo(type), w.b1().castTo(type), w.w2().castTo(type), w.b2().castTo(type));
    }

    /** Central differences on 8 random entries of the float64 array x (perturbed in place, then restored). */
    static void check(String name, INDArray x, INDArray analytic, DoubleSupplier loss, Random rng) {
        assertEquals(Arrays.toString(x.shape()), Arrays.toString(analytic.shape()), name);
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

    static void checkFf(String tag, FeedForward.Weights w, FeedForward.Weights dw, DoubleSupplier loss, Random rng) {
        check(tag + " dFfLnGamma", w.lnGamma(), dw.lnGamma(), loss, rng);
        check(tag + " dFfLnBeta", w.lnBeta(), dw.lnBeta(), loss, rng);
        check(tag + " dFfW1", w.w1(), dw.w1(), loss, rng);
        check(tag + " dFfB1", w.b1(), dw.b1(), loss, rng);
        check(tag + " dFfW2", w.w2(), dw.w2(), loss, rng);
        check(tag + " dFfB2", w.b2(), dw.b2(), loss, rng);
    }

    /** max |expected - actual| &lt;= tol max(1, max |expected|), any float types. */
    static void assertClose(String name, INDArray expected, INDArray actual, double tol) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), name);
        INDArray ex = expected.castTo(DataType.DOUBLE);
        double diff = ex.sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        double scale = Math.max(1.0, ex.amaxNumber().doubleValue());
        assertTrue(diff <= tol * scale, name + ": max |difference| " + diff + " > " + tol + " * " + scale);
    }

    /** Same shape and the same bits in every entry (INDArray.equals allows a tolerance). */
    static void assertIdentical(String name, INDArray expected, INDArray actual) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), name);
        assertArrayEquals(expected.dup('c').data().asDouble(), actual.dup('c').data().asDouble(), name);
    }

    static void assertCloseFf(String tag, FeedForward.Weights expected, FeedForward.Weights actual, double tol) {
        assertClose(tag + " ff lnGamma", expected.lnGamma(), actual.lnGamma(), tol);
        assertClose(tag + " ff lnBeta", expected.lnBeta(), actual.lnBeta(), tol);
        assertClose(tag + " ff w1", expected.w1(), actual.w1(), tol);
        assertClose(tag + " ff b1", expected.b1(), actual.b1(), tol);
        assertClose(tag + " ff w2", expected.w2(), actual.w2(), tol);
        assertClose(tag + " ff b2", expected.b2(), actual.b2(), tol);
    }

    /** A (B, T) mask of ones with step (b, t) padded. */
    static INDArray maskWithHole(DataType type, int batch, int steps, int b, int t) {
        INDArray mask = Nd4j.ones(type, batch, steps);
        mask.putScalar(b, t, 0.0);
        return mask;
    }

    /** Sum of the lengths of arrays (nulls count 0). */
    static long count(INDArray... arrays) {
        long n = 0;
        for (INDArray a : arrays) {
            n += a == null ? 0 : a.length();
        }
        return n;
    }

    static long count(FeedForward.Weights w) {
        return w == null ? 0 : count(w.lnGamma(), w.lnBeta(), w.w1(), w.b1(), w.w2(), w.b2());
    }
}
