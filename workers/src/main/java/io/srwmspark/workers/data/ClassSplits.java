package io.srwmspark.workers.data;

/**
 * A dataset's classes split for few-shot learning, before loading.
 *
 * @param layout        the layout the classes were read from
 * @param root          the dataset root as given
 * @param train         meta-training classes
 * @param val           validation classes
 * @param test          held-out test classes
 * @param unusedClasses classes in the tree that no split holds (split sizes below the total, or classes a split
 *                      file does not list)
 */
public record ClassSplits(Layout layout, String root, ClassList train, ClassList val, ClassList test,
        int unusedClasses) {

    public static final String TRAIN = "train";
    public static final String VAL = "val";
    public static final String TEST = "test";

    public ClassSplits {
        if (layout == null || root == null || train == null || val == null || test == null) {
            throw new IllegalArgumentException("ClassSplits needs a layout, a root and three class lists");
        }
        if (unusedClasses < 0) {
            throw new IllegalArgumentException("unusedClasses must be >= 0, got " + unusedClasses);
        }
    }

    /** The split named {@code train}, {@code val} or {@code test}. */
    public ClassList get(String split) {
        return switch (split) {
            case TRAIN -> train;
            case VAL -> val;
            case TEST -> test;
            default -> throw new IllegalArgumentException("unknown split '" + split + "', expected train, val or test");
        };
    }

    /** E.g. {@code omniglot at /data/omniglot: train 1028 classes (20560 images), val 172 (3440), test 423 (8460)}. */
    public String summary() {
        return layout.name().toLowerCase(java.util.Locale.ROOT) + " at " + root + ": train " + train.numClasses()
                + " classes (" + train.numImages() + " images), val " + val.numClasses() + " (" + val.numImages()
                + "), test " + test.numClasses() + " (" + test.numImages() + ")"
                + (unusedClasses > 0 ? ", " + unusedClasses + " classes unused" : "");
    }
}
