package io.srwmspark.workers.fewshot;

/**
 * Classes of C x 2 x 2 images whose pixels encode (class, image): in every channel, pixel 0 = offset + class and
 * pixel 1 = image.
 *
 * @param offset   added to the class id in pixel 0 (tells two datasets apart)
 * @param channels C
 */
record FakeImages(int classes, int perClass, int offset, int channels) implements ClassImages {

    FakeImages(int classes, int perClass) {
        this(classes, perClass, 0, 1);
    }

    @Override
    public int numClasses() {
        return classes;
    }

    @Override
    public int numImages(int c) {
        return perClass;
    }

    @Override
    public int height() {
        return 2;
    }

    @Override
    public int width() {
        return 2;
    }

    @Override
    public void copyImage(int c, int i, float[] dst, int off) {
        for (int ch = 0; ch < channels; ch++) {
            int o = off + 4 * ch;
            dst[o] = offset + c;
            dst[o + 1] = i;
            dst[o + 2] = 1;
            dst[o + 3] = -1;
        }
    }

    @Override
    public String className(int c) {
        return "class" + (offset + c);
    }
}
