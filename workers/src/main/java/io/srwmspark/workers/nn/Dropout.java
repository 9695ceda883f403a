package io.srwmspark.workers.nn;

import io.srwmspark.workers.rng.DropoutSeed;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout masks: each entry is 0 with probability p and 1/(1-p) otherwise, so E[mask] = 1 and
 * inference needs no rescaling. Row r of a mask at site k is drawn from {@link SplittableRandom} seeded by
 * {@link DropoutSeed#rowSeed(int, long) rowSeed(k, r)}: the same mask on every ND4J backend, and a row's mask
 * does not depend on the other rows of the batch. Forward keeps the mask and backward multiplies by it.
 */
final class Dropout {

    private Dropout() {
    }

    /** A (rows, cols) mask for dropout site {@code site}, or null when nothing is dropped (no seed or rate 0). */
    static INDArray mask(DropoutSeed seed, int site, double rate, DataType type, long rows, long cols) {
        if (seed == null || rate == 0) {
            return null;
        }
        double keep = 1.0 / (1.0 - rate);
        double[] v = new double[Math.toIntExact(Math.multiplyExact(rows, cols))];
        int c = Math.toIntExact(cols);
        for (int r = 0; r < rows; r++) {
            SplittableRandom rng = new SplittableRandom(seed.rowSeed(site, r));
            for (int j = 0; j < c; j++) {
                v[r * c + j] = rng.nextDouble() < rate ? 0.0 : keep;
            }
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
