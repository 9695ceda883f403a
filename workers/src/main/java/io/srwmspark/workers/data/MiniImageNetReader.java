package io.srwmspark.workers.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads Mini-ImageNet as Ravi and Larochelle distribute it: {@code images/} and one CSV per split
 * ({@code train.csv}, {@code val.csv}, {@code test.csv}), each with the header {@code filename,label} and one line
 * per image, e.g. {@code n0153282900000005.jpg,n01532829}. A class is a label; classes are sorted by label, a
 * class's files keep the CSV's order. A missing CSV gives an empty split; a label in two CSVs is an error.
 */
public final class MiniImageNetReader {

    public static final String IMAGES = "images";
    public static final List<String> CSVS = List.of("train.csv", "val.csv", "test.csv");

    private MiniImageNetReader() {
    }

    public static ClassSplits read(DataStore store, SplitOptions options) throws IOException {
        if (options.sizes() != null || options.splitFile() != null) {
            throw new IllegalArgumentException("Mini-ImageNet at " + store.location() + " is split by its train.csv,"
                    + " val.csv and test.csv: split sizes and split files apply to Omniglot and class folders only");
        }
        if (!store.isDirectory(IMAGES)) {
            throw new IllegalArgumentException("Mini-ImageNet at " + store.location() + " has no images/ folder");
        }
        Map<String, String> labelCsv = new HashMap<>();
        List<ClassList> lists = new ArrayList<>();
        String[] splits = {ClassSplits.TRAIN, ClassSplits.VAL, ClassSplits.TEST};
        boolean any = false;
        for (int s = 0; s < 3; s++) {
            String csv = CSVS.get(s);
            List<ImageClass> classes = new ArrayList<>();
            if (store.isFile(csv)) {
                any = true;
                for (Map.Entry<String, List<String>> e : parse(store, csv).entrySet()) {
                    String before = labelCsv.putIfAbsent(e.getKey(), csv);
                    if (before != null) {
                        throw new IllegalArgumentException("Mini-ImageNet label '" + e.getKey() + "' is in both "
                                + store.describe(before) + " and " + store.describe(csv)
                                + ": few-shot splits must not share classes");
                    }
                    classes.add(new ImageClass(e.getKey(), e.getValue()));
                }
            }
            lists.add(new ClassList(splits[s], classes));
        }
        if (!any) {
            throw new IllegalArgumentException("Mini-ImageNet at " + store.location()
                    + " has none of train.csv, val.csv, test.csv");
        }
        return new ClassSplits(Layout.MINI_IMAGENET, store.location(), lists.get(0), lists.get(1), lists.get(2), 0);
    }

    /** label -> files ({@code images/FILENAME}), labels sorted. */
    static Map<String, List<String>> parse(DataStore store, String csv) throws IOException {
        String where = store.describe(csv);
        String[] lines = new String(store.read(csv), StandardCharsets.UTF_8).split("\r?\n");
        String header = lines.length == 0 ? "" : lines[0].replace("\uFEFF", "").strip();
        if (!header.equals("filename,label")) {
            throw new IllegalArgumentException(where + ":1: header must be 'filename,label', got '" + header + "'");
        }
        Map<String, List<String>> byLabel = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split(",", -1);
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw new IllegalArgumentException(where + ":" + (i + 1) + ": expected 'filename,label', got '" + line
                        + "'");
            }
            byLabel.computeIfAbsent(parts[1].strip(), k -> new ArrayList<>()).add(IMAGES + "/" + parts[0].strip());
        }
        return byLabel;
    }
}
