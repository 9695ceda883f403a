package io.srwmspark.workers.data;

/**
 * How a split is loaded.
 *
 * @param rotations      add each class rotated by 90, 180 and 270 degrees as three more classes (the Omniglot
 *                       augmentation of the paper): class c becomes classes 4c (as is), 4c+1 (90), 4c+2 (180),
 *                       4c+3 (270 degrees counter-clockwise). Needs a square output size.
 * @param skipUnreadable skip (and count) images that cannot be read or decoded, instead of failing on the first
 * @param threads        decoding threads, >= 1
 */
public record LoadOptions(boolean rotations, boolean skipUnreadable, int threads) {

    public LoadOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("load threads must be >= 1, got " + threads);
        }
    }

    /** No rotations, fail on a bad image, one thread per core. */
    public static LoadOptions defaults() {
        return new LoadOptions(false, false, Runtime.getRuntime().availableProcessors());
    }

    public LoadOptions withRotations(boolean r) {
        return new LoadOptions(r, skipUnreadable, threads);
    }

    public LoadOptions withSkipUnreadable(boolean s) {
        return new LoadOptions(rotations, s, threads);
    }

    public LoadOptions withThreads(int t) {
        return new LoadOptions(rotations, skipUnreadable, t);
    }
}
