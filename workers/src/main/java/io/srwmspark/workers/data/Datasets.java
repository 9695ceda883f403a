package io.srwmspark.workers.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry point of the few-shot data subsystem: recognize a dataset's layout, split its classes, load a split.
 *
 * <pre>{@code
 * ClassSplits splits = Datasets.read("hdfs://nn/data/omniglot", SplitOptions.defaults());
 * ImageSet train = Datasets.load(splits.train(), splits.root(), Preprocessing.omniglot(),
 *         LoadOptions.defaults().withRotations(true));
 * train.requireEpisodeable(5, 1, 1);
 * }</pre>
 */
public final class Datasets {

    private Datasets() {
    }

    /** The layout of the dataset at {@code root} (local path or URI). */
    public static Layout detect(String root) throws IOException {
        return detect(DataStore.open(root));
    }

    /**
     * Omniglot if {@code images_background/} or {@code images_evaluation/} is there; else Mini-ImageNet if
     * {@code images/} and one of {@code train.csv}, {@code val.csv}, {@code test.csv} are; else class folders if a
     * sub-folder holds a .png, .jpg or .jpeg file; else an IllegalArgumentException saying what was expected and
     * what was found.
     */
    public static Layout detect(DataStore store) throws IOException {
        if (store.isDirectory(OmniglotReader.BACKGROUND) || store.isDirectory(OmniglotReader.EVALUATION)) {
            return Layout.OMNIGLOT;
        }
        List<String> dirs = store.listDirectories("");
        if (dirs.contains(MiniImageNetReader.IMAGES)) {
            for (String csv : MiniImageNetReader.CSVS) {
                if (store.isFile(csv)) {
                    return Layout.MINI_IMAGENET;
                }
            }
        }
        for (String d : dirs) {
            for (String f : store.listFiles(d)) {
                if (DataStore.isImageName(f)) {
                    return Layout.CLASS_FOLDERS;
                }
            }
        }
        List<String> found = new ArrayList<>();
        for (String d : dirs) {
            found.add(d + "/");
        }
        found.addAll(store.listFiles(""));
        throw new IllegalArgumentException("no known dataset layout in " + store.location() + ": expected "
                + OmniglotReader.BACKGROUND + "/ or " + OmniglotReader.EVALUATION + "/ (Omniglot), images/ with "
                + "train.csv, val.csv, test.csv (Mini-ImageNet), or folders of .png/.jpg/.jpeg files (one per class); "
                + "found " + (found.isEmpty() ? "nothing" : found.subList(0, Math.min(10, found.size()))
                + (found.size() > 10 ? " and " + (found.size() - 10) + " more" : "")));
    }

    /** Detects the layout at {@code root} and splits its classes. */
    public static ClassSplits read(String root, SplitOptions options) throws IOException {
        DataStore store = DataStore.open(root);
        return read(store, detect(store), options);
    }

    public static ClassSplits read(DataStore store, Layout layout, SplitOptions options) throws IOException {
        return switch (layout) {
            case OMNIGLOT -> OmniglotReader.read(store, options);
            case MINI_IMAGENET -> MiniImageNetReader.read(store, options);
            case CLASS_FOLDERS -> ClassFolderReader.read(store, options);
        };
    }

    /** The paper's preprocessing for a layout: Omniglot 1x28x28 grey, others 3x84x84 ImageNet-normalized RGB. */
    public static Preprocessing defaultPreprocessing(Layout layout) {
        return layout == Layout.OMNIGLOT ? Preprocessing.omniglot() : Preprocessing.miniImageNet();
    }

    /** Loads one split of the dataset at {@code root}. */
    public static ImageSet load(ClassList classes, String root, Preprocessing prep, LoadOptions options)
            throws IOException {
        return ImageSetLoader.load(DataStore.open(root), classes, prep, options);
    }
}
