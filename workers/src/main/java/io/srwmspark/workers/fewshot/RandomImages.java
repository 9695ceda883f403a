package io.srwmspark.workers.fewshot;

import java.util.SplittableRandom;

/**
 * Classes of images of one shape whose pixels are uniform in [0, 1) from a seed: input for timing a model
 * ({@code bench fewshot}) and for tests that need real-sized images without a dataset.
 *
 * @param data classes x perClass images of c x h x w floats, class-major
 */
public record RandomImages(int classes, int perClass, int c, int h, int w, float[] data) implements ClassImages {

    /** {@code classes} classes of {@code perClass} images of c x h x w, drawn from {@code seed}. */
    public static RandomImages of(int classes, int perClass, int c, int h, int w, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] d = new float[classes * perClass * c * h * w];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rng.nextDouble();
        }
        return new RandomImages(classes, perClass, c, h, w, d);
    }

    @Override
    public int numClasses() {
        return classes;
    }

    @Override
    public int numImages(int cls) {
        return perClass;
    }

    @Override
    public int channels() {
        return c;
    }

    @Override
    public int height() {
        return h;
    }

    @Override
    public int width() {
        return w;
    }

    @Override
    public void copyImage(int cls, int i, float[] dst, int offset) {
        int size = c * h * w;
        System.arraycopy(data, (cls * perClass + i) * size, dst, offset, size);
    }

    @Override
    public String className(int cls) {
        return "random" + cls;
    }
}
