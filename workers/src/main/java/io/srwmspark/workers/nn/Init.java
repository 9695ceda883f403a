package io.srwmspark.workers.nn;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded parameter initialisation of the blocks: entries drawn in C order from a {@link SplittableRandom}, in
 * float64 and then cast, so a seed gives the same parameters on every ND4J backend and thread.
 */
final class Init {

    private Init() {
    }

    /** U(-bound, bound) entries of the given shape. */
    static INDArray uniform(SplittableRandom rng, DataType type, double bound, long... shape) {
        long n = 1;
        for (long s : shape) {
            n = Math.multiplyExact(n, s);
        }
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (2 * rng.nextDouble() - 1) * bound;
        }
        return Nd4j.create(v, shape, DataType.DOUBLE).castTo(type);
    }

    /** Xavier (Glorot) uniform for a (fanIn, fanOut) matrix: U(-a, a), a = sqrt(6 / (fanIn + fanOut)). */
    static INDArray xavier(SplittableRandom rng, DataType type, long fanIn, long fanOut) {
        return uniform(rng, type, Math.sqrt(6.0 / (fanIn + fanOut)), fanIn, fanOut);
    }

    /**
     * The feed-forward sublayer as the SRWM layers initialise it: layer-norm gamma 1 and beta 0, W1 and W2 Xavier
     * uniform, biases 0.
     */
    static FeedForward.Weights feedForward(SplittableRandom rng, DataType type, long width, long hidden) {
        INDArray w1 = xavier(rng, type, width, hidden);
        INDArray w2 = xavier(rng, type, hidden, width);
        return new FeedForward.Weights(Nd4j.ones(type, width), Nd4j.zeros(type, width), w1, Nd4j.zeros(type, hidden),
                w2, Nd4j.zeros(type, width));
    }

    /** Number of entries of the feed-forward sublayer: 2 D F + F + 3 D. */
    static long feedForwardCount(long width, long hidden) {
        return 2 * width * hidden + hidden + 3 * width;
    }
}
