package io.srwmspark.workers.rng;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Seed derivation and seeded random arrays. */
public final class Seeds {

    private Seeds() {
    }

    /**
     * A seed for the stream named by {@code path} under {@code seed}, e.g. {@code derive(run, step, episode)}.
     * Pure: the same arguments give the same seed on every machine, whatever else ran before.
     */
    public static long derive(long seed, long... path) {
        long s = mix(seed);
        for (long p : path) {
            s = mix(s ^ mix(p + 0x9E3779B97F4A7C15L));
        }
        return s;
    }

    /** SplitMix64's finalizer: a bijective mixing of 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Standard-normal entries times {@code std}, drawn in C order from {@code seed}. */
    public static INDArray gaussian(DataType type, long seed, double std, long... shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = gaussian(rng) * std;
        }
        return Nd4j.create(Nd4j.createBuffer(v), shape).castTo(type);
    }

    /** One standard-normal draw (Marsaglia's polar method). */
    public static double gaussian(SplittableRandom rng) {
        double u;
        double v;
        double s;
        do {
            u = 2 * rng.nextDouble() - 1;
            v = 2 * rng.nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        return u * Math.sqrt(-2 * Math.log(s) / s);
    }
}
