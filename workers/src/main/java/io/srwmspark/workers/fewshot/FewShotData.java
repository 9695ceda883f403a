package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.data.ClassSplits;
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
 * @param identity a digest of the layout, the split sizes and every class name and image count: written into
 *                 checkpoints, so a model is never silently evaluated on other data than it was trained for
 */
public record FewShotData(String root, Layout layout, ImageSet train, ImageSet val, ImageSet test,
        String identity) {

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

    /** Reads and loads the three splits. */
    public static FewShotData load(FewShotConfig.Data d, Path cache, Consumer<String> log) throws IOException {
        String root = resolveRoot(d, cache, log);
        Layout layout = Datasets.detect(root);
        SplitOptions split = SplitOptions.defaults();
        if (!d.split().isEmpty()) {
            split = split.withSizes(parseSizes(d.split()));
        }
        ClassSplits splits = Datasets.read(root, split);
        Preprocessing prep = preprocessing(layout, d.imageSize());
        LoadOptions opts = LoadOptions.defaults().withRotations(d.rotations());
        ImageSet train = Datasets.load(splits.train(), root, prep, opts);
        ImageSet val = Datasets.load(splits.val(), root, prep, opts);
        ImageSet test = Datasets.load(splits.test(), root, prep, opts);
        for (ImageSet s : new ImageSet[] {train, val, test}) {
            log.accept(s.report().summary());
        }
        return new FewShotData(root, layout, train, val, test, identity(layout, train, val, test));
    }

    /** The paper's preprocessing for the layout, at {@code size} x {@code size}. */
    public static Preprocessing preprocessing(Layout layout, int size) {
        Preprocessing p = Datasets.defaultPreprocessing(layout);
        return new Preprocessing(p.channels(), size, size, p.invert(), p.mean(), p.std());
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
