package io.srwmspark.workers.fewshot;

/**
 * The view of a dataset split that episodes are drawn from: classes, each with its images, every image a
 * (C, H, W) block of floats in one shared array.
 */
public interface ClassImages {

    /** Number of classes in this split. */
    int numClasses();

    /** Number of images of class {@code c}. */
    int numImages(int c);

    /** Channels, height, width of every image. */
    int channels();

    int height();

    int width();

    /** Copies image {@code i} of class {@code c} into {@code dst[offset, offset + C*H*W)}. */
    void copyImage(int c, int i, float[] dst, int offset);

    /** A name for class {@code c} in error messages (e.g. its folder). */
    String className(int c);

    /** Values per image: C H W. */
    default int imageSize() {
        return channels() * height() * width();
    }
}
