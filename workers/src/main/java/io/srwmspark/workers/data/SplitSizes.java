package io.srwmspark.workers.data;

/**
 * Numbers of classes in the train, val and test splits.
 *
 * @param train classes for meta-training
 * @param val   classes for validation
 * @param test  held-out classes for the final test
 */
public record SplitSizes(int train, int val, int test) {

    /** The Omniglot split of the paper (Vinyals et al.'s 1200 training characters, 172 of them for validation). */
    public static final SplitSizes OMNIGLOT = new SplitSizes(1028, 172, 423);

    /** Mini-ImageNet's 64/16/20 classes (Ravi and Larochelle): the default proportions of class folders. */
    public static final SplitSizes MINI_IMAGENET = new SplitSizes(64, 16, 20);

    public SplitSizes {
        if (train < 0 || val < 0 || test < 0) {
            throw new IllegalArgumentException("split sizes must be >= 0, got train " + train + ", val " + val
                    + ", test " + test);
        }
    }

    public int total() {
        return train + val + test;
    }

    /**
     * The same proportions for {@code n} classes: train and val rounded to nearest, test the rest. Identity when
     * {@code n == total()}.
     */
    public SplitSizes scaledTo(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("number of classes must be >= 0, got " + n);
        }
        if (total() == 0) {
            throw new IllegalArgumentException("cannot scale split sizes that are all 0");
        }
        int tr = (int) Math.round((double) n * train / total());
        int va = Math.min(n - tr, (int) Math.round((double) n * val / total()));
        return new SplitSizes(tr, va, n - tr - va);
    }

    @Override
    public String toString() {
        return train + "/" + val + "/" + test;
    }
}
