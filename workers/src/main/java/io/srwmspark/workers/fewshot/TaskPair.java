package io.srwmspark.workers.fewshot;

/**
 * The split of a sequential multi-task run: the classes of two datasets whose images have the same shape (the
 * paper's Omniglot at 3 x 84 x 84 next to Mini-ImageNet). As a {@link ClassImages} it lists the first task's
 * classes, then the second's.
 *
 * @param first  the first task's classes (task 0)
 * @param second the second task's classes (task 1)
 */
public record TaskPair(ClassImages first, ClassImages second) implements ClassImages {

    public TaskPair {
        if (first.channels() != second.channels() || first.height() != second.height()
                || first.width() != second.width()) {
            throw new IllegalArgumentException("the two tasks' images differ in shape: " + shape(first) + " and "
                    + shape(second) + " (set data.channels and data.image-size so both datasets load alike)");
        }
    }

    private static String shape(ClassImages c) {
        return c.channels() + "x" + c.height() + "x" + c.width();
    }

    @Override
    public int numClasses() {
        return first.numClasses() + second.numClasses();
    }

    @Override
    public int numImages(int c) {
        return c < first.numClasses() ? first.numImages(c) : second.numImages(c - first.numClasses());
    }

    @Override
    public int channels() {
        return first.channels();
    }

    @Override
    public int height() {
        return first.height();
    }

    @Override
    public int width() {
        return first.width();
    }

    @Override
    public void copyImage(int c, int i, float[] dst, int offset) {
        if (c < first.numClasses()) {
            first.copyImage(c, i, dst, offset);
        } else {
            second.copyImage(c - first.numClasses(), i, dst, offset);
        }
    }

    @Override
    public String className(int c) {
        return c < first.numClasses() ? first.className(c) : second.className(c - first.numClasses());
    }
}
