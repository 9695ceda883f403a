package io.srwmspark.workers.data;

import io.srwmspark.workers.rng.Seeds;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Reads a generic tree with one folder per class, {@code CLASS/*.png|jpg|jpeg} (extensions in any case). A class is
 * named by its folder; folders holding no image are not classes. Classes and files are sorted by name.
 *
 * <p>Split: the sorted classes are shuffled (Fisher-Yates with {@code Seeds.derive(seed, SPLIT_STREAM)}), the first
 * {@code train} go to train, the next {@code val} to val, the next {@code test} to test; each split is then sorted
 * by name again. Default sizes: Mini-ImageNet's 64/16/20 proportions of the classes present.
 */
public final class ClassFolderReader {

    /** The seed stream of the class shuffle. */
    static final long SPLIT_STREAM = 0x5EED_C1A5L;

    private ClassFolderReader() {
    }

    /** Every class folder of the tree, sorted by name. */
    public static List<ImageClass> classes(DataStore store) throws IOException {
        List<ImageClass> all = new ArrayList<>();
        for (String dir : store.listDirectories("")) {
            List<String> files = new ArrayList<>();
            for (String f : store.listFiles(dir)) {
                if (DataStore.isImageName(f)) {
                    files.add(dir + "/" + f);
                }
            }
            if (!files.isEmpty()) {
                all.add(new ImageClass(dir, files));
            }
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException(store.location() + " has no class folder with .png, .jpg or .jpeg files");
        }
        return all;
    }

    public static ClassSplits read(DataStore store, SplitOptions options) throws IOException {
        List<ImageClass> all = classes(store);
        if (options.splitFile() != null) {
            return SplitFile.read(options.splitFile()).apply(Layout.CLASS_FOLDERS, store.location(), all);
        }
        SplitSizes sizes = options.sizes() != null ? options.sizes() : SplitSizes.MINI_IMAGENET.scaledTo(all.size());
        if (sizes.total() > all.size()) {
            throw new IllegalArgumentException(store.location() + " has " + all.size() + " class folders, fewer than"
                    + " the " + sizes.total() + " of split sizes " + sizes);
        }
        List<ImageClass> shuffled = new ArrayList<>(all);
        SplittableRandom rng = new SplittableRandom(Seeds.derive(options.seed(), SPLIT_STREAM));
        for (int i = shuffled.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            ImageClass t = shuffled.get(i);
            shuffled.set(i, shuffled.get(j));
            shuffled.set(j, t);
        }
        int a = sizes.train();
        int b = a + sizes.val();
        int c = b + sizes.test();
        return new ClassSplits(Layout.CLASS_FOLDERS, store.location(),
                new ClassList(ClassSplits.TRAIN, sorted(shuffled.subList(0, a))),
                new ClassList(ClassSplits.VAL, sorted(shuffled.subList(a, b))),
                new ClassList(ClassSplits.TEST, sorted(shuffled.subList(b, c))), all.size() - c);
    }

    private static List<ImageClass> sorted(List<ImageClass> classes) {
        List<ImageClass> s = new ArrayList<>(classes);
        s.sort(Comparator.comparing(ImageClass::name));
        return s;
    }
}
