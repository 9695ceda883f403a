package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.data.ClassSplits;
import io.srwmspark.workers.data.DataStore;
import io.srwmspark.workers.data.Datasets;
import io.srwmspark.workers.data.ImageSet;
import io.srwmspark.workers.data.LoadOptions;
import io.srwmspark.workers.data.Layout;
import io.srwmspark.workers.data.Preprocessing;
import io.srwmspark.workers.data.SplitOptions;
import io.srwmspark.workers.data.SplitSizes;
import io.srwmspark.workers.data.SyntheticGlyphs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Consumer;

/**
 * The splits of a run's dataset, loaded as its configuration says; the synthetic glyphs are generated on
 * first use under a cache folder.
 *
 * @param root     dataset location
 * @param layout   its layout
 * @param train    training split
 * @param val      validation split
 * @param test     test split
 * @param identity a digest of the layout, the split sizes and every class name and image count (of both
 *                 datasets in the multi-task setting): written into checkpoints, so a model is never silently
 *                 evaluated on other data than it was trained for
 * @param second   the second dataset of the sequential multi-task setting, or null
 */
public record FewShotData(String root, Layout layout, ImageSet train, ImageSet val, ImageSet test,
        String identity, FewShotData second) {

    /** The classes of split {@code name} (train, val or test) as episodes see them: both tasks when multi-task. */
    public ClassImages classes(String name) {
        ClassImages own = new ImageSetClasses(split(name));
        return second == null ? own : new TaskPair(own, second.classes(name));
    }

    /** Split {@code name} (train, val or test) of this dataset. */
    public ImageSet split(String name) {
        return switch (name) {
            case "train" -> train;
            case "val" -> val;
            case "test" -> test;
            default -> throw new IllegalArgumentException("split must be train, val or test, got '" + name + "'");
        };
    }

    /** The dataset(s) a run's configuration names: {@code data.*}, and {@code multitask.data.*} when enabled. */
    public static FewShotData load(FewShotConfig cfg, Path cache, Consumer<String> log) throws IOException {
        FewShotData first = load(cfg.data(), cache, log);
        if (!cfg.multiTask().enabled()) {
            return first;
        }
        FewShotData second = load(cfg.multiTask().data(), cache, log);
        for (String name : new String[] {"train", "val", "test"}) {
            new TaskPair(new ImageSetClasses(first.split(name)), new ImageSetClasses(second.split(name)));
        }
        String id = identity(first.layout(), first.train(), first.val(), first.test(), second.train(), second.val(),
                second.test());
        return new FewShotData(first.root(), first.layout(), first.train(), first.val(), first.test(), id, second);
    }

    /** The layout {@code format} names, or the one found at {@code root} for auto (an error if they disagree). */
    public static Layout layout(String format, String root) throws IOException {
        Layout found = Datasets.detect(root);
        Layout want = switch (format) {
            case "auto" -> found;
            case "omniglot" -> Layout.OMNIGLOT;
            case "miniimagenet" -> Layout.MINI_IMAGENET;
            case "tree" -> Layout.CLASS_FOLDERS;
            default -> throw new IllegalArgumentException("data.format must be auto, omniglot, miniimagenet or tree, "
                    + "got '" + format + "'");
        };
        if (want != found) {
            throw new IllegalArgumentException("data.format = " + format + " but " + root + " has the "
                    + found.name().toLowerCase(java.util.Locale.ROOT) + " layout");
        }
        return want;
    }

    /** The root to read: {@code data.path}, or the synthetic glyphs under {@code cache} (generated if absent). */
    public static String resolveRoot(FewShotConfig.Data d, Path cache, Consumer<String> log) throws IOException {
        if (!d.path().isEmpty()) {
            return d.path();
        }
        Path dir = cache.resolve("glyphs-" + d.synthClasses() + "x" + d.synthPerClass() + "-seed" + d.synthSeed());
        if (!Files.isDirectory(dir)) {
            log.accept("generating synthetic glyphs (" + d.synthClasses() + " classes x " + d.synthPerClass()
                    + " images) into " + dir);
            SyntheticGlyphs.Written w = new SyntheticGlyphs(d.synthSeed()).write(dir, d.synthClasses(),
                    d.synthPerClass(), 0.8, Runtime.getRuntime().availableProcessors());
            log.accept(w.summary());
        }
        return dir.toString();
    }

    /** Reads and loads the three splits of one dataset. */
    public static FewShotData load(FewShotConfig.Data d, Path cache, Consumer<String> log) throws IOException {
        String root = resolveRoot(d, cache, log);
        Layout layout = layout(d.format(), root);
        SplitOptions split = SplitOptions.defaults();
        if (!d.split().isEmpty()) {
            split = split.withSizes(parseSizes(d.split()));
        }
        ClassSplits splits = Datasets.read(DataStore.open(root), layout, split);
        Preprocessing prep = preprocessing(layout, d.imageSize(), d.channels());
        LoadOptions opts = LoadOptions.defaults().withRotations(d.rotations());
        ImageSet train = Datasets.load(splits.train(), root, prep, opts);
        ImageSet val = Datasets.load(splits.val(), root, prep, opts);
        ImageSet test = Datasets.load(splits.test(), root, prep, opts);
        for (ImageSet s : new ImageSet[] {train, val, test}) {
            log.accept(s.report().summary());
        }
        return new FewShotData(root, layout, train, val, test, identity(layout, train, val, test), null);
    }

    /**
     * The paper's preprocessing for the layout, at {@code size} x {@code size}, with {@code channels} channels
     * (0: the layout's own; grey repeated to RGB, or RGB to grey, with the normalization carried over).
     */
    public static Preprocessing preprocessing(Layout layout, int size, int channels) {
        Preprocessing p = Datasets.defaultPreprocessing(layout);
        return new Preprocessing(p.channels(), size, size, p.invert(), p.mean(), p.std())
                .withChannels(channels == 0 ? p.channels() : channels);
    }

    public static SplitSizes parseSizes(String text) {
        String[] parts = text.split(",");
        if (parts.length != 3) {
            throw new IllegalArgumentException("data.split must be 'train,val,test' class counts, got '" + text + "'");
        }
        try {
            return new SplitSizes(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()),
                    Integer.parseInt(parts[2].trim()));
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("data.split must be 'train,val,test' class counts, got '" + text
                    + "'", ex);
        }
    }

    static String identity(Layout layout, ImageSet... sets) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(layout.name().getBytes(StandardCharsets.UTF_8));
            for (ImageSet s : sets) {
                md.update(("|" + s.split() + ":" + s.channels() + "x" + s.height() + "x" + s.width())
                        .getBytes(StandardCharsets.UTF_8));
                for (int c = 0; c < s.numClasses(); c++) {
                    md.update((s.classNames().get(c) + "=" + s.classSize(c) + ";").getBytes(StandardCharsets.UTF_8));
                }
            }
            return HexFormat.of().formatHex(md.digest(), 0, 12);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
