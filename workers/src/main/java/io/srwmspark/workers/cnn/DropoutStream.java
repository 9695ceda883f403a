package io.srwmspark.workers.cnn;

import java.util.SplittableRandom;

/**
 * Inverted-dropout decisions for one image of one layer: a value is dropped with probability {@code rate}
 * (kept ones are scaled by 1/(1-rate) by the caller). The stream is seeded by
 * {@link io.srwmspark.workers.rng.DropoutSeed#rowSeed(int, long) rowSeed(layer, image)}, so an image's mask does
 * not depend on the other images of the batch, on chunking or on threads. Each 64-bit draw gives two 32-bit uniforms u; drop iff u &lt; rate 2^32 (the rate
 * is thus rounded to a multiple of 2^-32).
 */
final class DropoutStream {

    private final SplittableRandom rng;
    private final long threshold;
    private long bits;
    private boolean half;

    DropoutStream(long seed, double rate) {
        this.rng = new SplittableRandom(seed);
        this.threshold = Math.round(rate * 4294967296.0);
    }

    /** True when the next value is dropped. */
    boolean drop() {
        long u;
        if (half) {
            u = bits >>> 32;
            half = false;
        } else {
            bits = rng.nextLong();
            u = bits & 0xFFFFFFFFL;
            half = true;
        }
        return u < threshold;
    }
}
