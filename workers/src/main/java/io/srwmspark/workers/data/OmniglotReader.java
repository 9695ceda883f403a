package io.srwmspark.workers.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads Omniglot's original folders: {@code images_background/} (964 characters of 30 alphabets) and
 * {@code images_evaluation/} (659 characters of 20 alphabets), each {@code ALPHABET/CHARACTER/*.png}. A class is one
 * character, named {@code images_background/ALPHABET/CHARACTER}; the image files are sorted by name.
 *
 * <p>Split: all characters sorted by that name (so background before evaluation), then the first 1028 are train,
 * the next 172 val and the last 423 test, the paper's sizes. Trees with other than 1623 characters are split in the
 * same proportions ({@link SplitSizes#scaledTo}); explicit sizes take classes in the same order and leave the rest
 * unused. A split file overrides all of this.
 */
public final class OmniglotReader {

    public static final String BACKGROUND = "images_background";
    public static final String EVALUATION = "images_evaluation";

    private OmniglotReader() {
    }

    /** Every character of the tree, sorted by name. */
    public static List<ImageClass> classes(DataStore store) throws IOException {
        List<ImageClass> all = new ArrayList<>();
        boolean any = false;
        for (String folder : List.of(BACKGROUND, EVALUATION)) {
            if (!store.isDirectory(folder)) {
                continue;
            }
            any = true;
            for (String alphabet : store.listDirectories(folder)) {
                String a = folder + "/" + alphabet;
                for (String character : store.listDirectories(a)) {
                    String c = a + "/" + character;
                    List<String> files = new ArrayList<>();
                    for (String f : store.listFiles(c)) {
                        if (DataStore.isImageName(f)) {
                            files.add(c + "/" + f);
                        }
                    }
                    all.add(new ImageClass(c, files));
                }
            }
        }
        if (!any) {
            throw new IllegalArgumentException(store.location() + " is not an Omniglot tree: it has neither "
                    + BACKGROUND + "/ nor " + EVALUATION + "/");
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException("Omniglot tree " + store.location() + " has no character folders (expected "
                    + BACKGROUND + "/ALPHABET/CHARACTER/*.png)");
        }
        return all;
    }

    /** The tree's characters split as {@code options} says. */
    public static ClassSplits read(DataStore store, SplitOptions options) throws IOException {
        List<ImageClass> all = classes(store);
        if (options.splitFile() != null) {
            return SplitFile.read(options.splitFile()).apply(Layout.OMNIGLOT, store.location(), all);
        }
        SplitSizes sizes = options.sizes() != null ? options.sizes() : SplitSizes.OMNIGLOT.scaledTo(all.size());
        if (sizes.total() > all.size()) {
            throw new IllegalArgumentException("Omniglot tree " + store.location() + " has " + all.size()
                    + " characters, fewer than the " + sizes.total() + " of split sizes " + sizes);
        }
        int a = sizes.train();
        int b = a + sizes.val();
        int c = b + sizes.test();
        return new ClassSplits(Layout.OMNIGLOT, store.location(), new ClassList(ClassSplits.TRAIN, all.subList(0, a)),
                new ClassList(ClassSplits.VAL, all.subList(a, b)), new ClassList(ClassSplits.TEST, all.subList(b, c)),
                all.size() - c);
    }
}
