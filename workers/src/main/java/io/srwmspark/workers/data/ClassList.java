package io.srwmspark.workers.data;

import java.util.List;

/**
 * The classes of one split ({@code train}, {@code val} or {@code test}) before loading.
 *
 * @param split   the split's name, for messages
 * @param classes its classes, in a deterministic order
 */
public record ClassList(String split, List<ImageClass> classes) {

    public ClassList {
        if (split == null || split.isEmpty()) {
            throw new IllegalArgumentException("split name is empty");
        }
        classes = List.copyOf(classes);
    }

    public int numClasses() {
        return classes.size();
    }

    public int numImages() {
        int n = 0;
        for (ImageClass c : classes) {
            n += c.files().size();
        }
        return n;
    }

    /**
     * Checks that N-way episodes with {@code shots} support and {@code queries} query images per class can be drawn
     * from this split without repeating an image: at least {@code ways} classes, each with at least
     * {@code shots + queries} images. The error names the split, the smallest class and the numbers.
     */
    public void requireEpisodeable(int ways, int shots, int queries) {
        int[] sizes = new int[classes.size()];
        for (int c = 0; c < sizes.length; c++) {
            sizes[c] = classes.get(c).files().size();
        }
        Episodeable.require(split, ways, shots, queries, sizes, c -> classes.get(c).name());
    }
}
