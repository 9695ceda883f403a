package io.srwmspark.workers.fewshot;

/** Classes of 1 x 2 x 2 images whose pixels encode (class, image): pixel 0 = class, pixel 1 = image. */
record FakeImages(int classes, int perClass) implements ClassImages {

    @Override
    public int numClasses() {
        return classes;
    }

    @Override
    public int numImages(int c) {
        return perClass;
    }

    @Override
    public int channels() {
        return 1;
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
    public void copyImage(int c, int i, float[] dst, int offset) {
        dst[offset] = c;
        dst[offset + 1] = i;
        dst[offset + 2] = 1;
        dst[offset + 3] = -1;
    }

    @Override
    public String className(int c) {
        return "class" + c;
    }
}
