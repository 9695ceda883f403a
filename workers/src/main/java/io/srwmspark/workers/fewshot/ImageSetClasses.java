package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.data.ImageSet;

/** An {@link ImageSet} (a loaded split) as the episodes' view of classes and images. */
public record ImageSetClasses(ImageSet set) implements ClassImages {

    @Override
    public int numClasses() {
        return set.numClasses();
    }

    @Override
    public int numImages(int c) {
        return set.classSize(c);
    }

    @Override
    public int channels() {
        return set.channels();
    }

    @Override
    public int height() {
        return set.height();
    }

    @Override
    public int width() {
        return set.width();
    }

    @Override
    public void copyImage(int c, int i, float[] dst, int offset) {
        set.copyImage(c, i, dst, offset);
    }

    @Override
    public String className(int c) {
        return set.classNames().get(c);
    }
}
