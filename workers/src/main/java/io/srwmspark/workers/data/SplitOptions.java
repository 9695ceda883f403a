package io.srwmspark.workers.data;

/**
 * How a dataset's classes are split into train, val and test.
 *
 * @param sizes     class counts; {@code null} for the layout's default (Omniglot: 1028/172/423, scaled in proportion
 *                  when a tree has other than 1623 characters; class folders: Mini-ImageNet's 64/16/20 proportions).
 *                  Not allowed for Mini-ImageNet, whose CSVs are the split.
 * @param splitFile a split file (format in {@link SplitFile}), local path or URI, or {@code null}; when given it
 *                  decides alone (no sizes). Not allowed for Mini-ImageNet.
 * @param seed      the seed of the class-folder shuffle (Omniglot splits are contiguous ranges of the sorted
 *                  characters and ignore it)
 */
public record SplitOptions(SplitSizes sizes, String splitFile, long seed) {

    public SplitOptions {
        if (sizes != null && splitFile != null) {
            throw new IllegalArgumentException("give split sizes or a split file, not both (split file " + splitFile
                    + ", sizes " + sizes + ")");
        }
    }

    /** Layout defaults, seed 0. */
    public static SplitOptions defaults() {
        return new SplitOptions(null, null, 0);
    }

    public SplitOptions withSizes(SplitSizes s) {
        return new SplitOptions(s, null, seed);
    }

    public SplitOptions withSplitFile(String file) {
        return new SplitOptions(null, file, seed);
    }

    public SplitOptions withSeed(long s) {
        return new SplitOptions(sizes, splitFile, s);
    }
}
