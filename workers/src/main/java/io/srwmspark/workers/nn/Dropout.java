package io.srwmspark.workers.nn;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout masks: each entry is 0 with probability p and 1/(1-p) otherwise, so E[mask] = 1 and
 * inference needs no rescaling. Drawn from {@link SplittableRandom} in row-major order, so a seed gives the
 * same mask on every ND4J backend; forward keeps the mask and backward multiplies by the same one.
 */
final class Dropout {

    private Dropout() {
    }

    /** A (rows, cols) mask, or null when nothing is dropped (rate 0 or not training). */
    static INDArray mask(SplittableRandom rng, double rate, DataType type, long rows, long cols) {
        if (rng == null || rate == 0) {
            return null;
        }
        double keep = 1.0 / (1.0 - rate);
        double[] v = new double[Math.toIntExact(Math.multiplyExact(rows, cols))];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextDouble() < rate ? 0.0 : keep;
        }
        return Nd4j.create(v, new long[] {rows, cols}, DataType.DOUBLE).castTo(type);
    }

    /** x * mask, or x itself when the mask is null. */
    static INDArray apply(INDArray x, INDArray mask) {
        return mask == null ? x : x.mul(mask);
    }

    /** Validates a dropout rate: 0 &lt;= rate &lt; 1. */
    static double checkRate(double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
        }
        return rate;
    }
}
