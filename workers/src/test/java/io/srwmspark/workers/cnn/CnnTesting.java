package io.srwmspark.workers.cnn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Shared helpers of the backbone tests: random arrays, NCHW conversions, central-difference checks. */
final class CnnTesting {

    private CnnTesting() {
    }

    static INDArray randn(Random rng, DataType type, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
        }
        return Nd4j.create(Nd4j.createBuffer(v), shape).castTo(type);
    }

    static NaiveCnn.T4 t4(INDArray a) {
        long[] s = a.shape();
        return new NaiveCnn.T4((int) s[0], (int) s[1], (int) s[2], (int) s[3],
                a.castTo(DataType.DOUBLE).dup('c').data().asDouble());
    }

    static double[] values(INDArray a) {
        return a == null ? null : a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /** Parameters perturbed away from PyTorch's init so that gamma and beta are not trivial. */
    static void perturb(Backbone.Parameters p, Random rng) {
        for (Map.Entry<String, INDArray> e : p.named().entrySet()) {
            INDArray a = e.getValue();
            INDArray noise = randn(rng, a.dataType(), a.shape()).muli(0.2);
            a.addi(noise);
        }
    }

    /**
     * Central differences of {@code loss} for the entries {@code idx} of {@code param} against {@code grad}:
     * |fd - g| &lt;= rtol max(|fd|, |g|) + atol.
     */
    static void check(String name, INDArray param, INDArray grad, int[] idx, DoubleSupplier loss, double rtol,
            double atol) {
        INDArray flat = param.reshape(param.length());
        INDArray gflat = grad.reshape(grad.length());
        double eps = 1e-6;
        double worst = 0;
        for (int i : idx) {
            double v = flat.getDouble(i);
            flat.putScalar(i, v + eps);
            double up = loss.getAsDouble();
            flat.putScalar(i, v - eps);
            double down = loss.getAsDouble();
            flat.putScalar(i, v);
            double fd = (up - down) / (2 * eps);
            double g = gflat.getDouble(i);
            double err = Math.abs(fd - g) / (rtol * Math.max(Math.abs(fd), Math.abs(g)) + atol);
            worst = Math.max(worst, err);
            assertTrue(err <= 1, name + "[" + i + "]: finite difference " + fd + ", backward " + g);
        }
        assertTrue(worst <= 1, name);
    }

    /** All indices of an array, or {@code max} of them spread evenly. */
    static int[] indices(INDArray a, int max) {
        int n = (int) a.length();
        int m = Math.min(n, max);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            out[i] = (int) ((long) i * n / m);
        }
        return out;
    }
}
