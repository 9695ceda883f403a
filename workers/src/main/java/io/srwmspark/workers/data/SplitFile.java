package io.srwmspark.workers.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A split file: which class goes to which split. UTF-8 text, one class per line:
 *
 * <pre>
 * # comment lines and blank lines are ignored
 * train images_background/Alphabet_of_the_Magi/character01
 * val   images_evaluation/Angelic/character03
 * test  Tengwar/character07
 * </pre>
 *
 * <p>The first word is {@code train}, {@code val} or {@code test}; the rest of the line (trimmed) names a class as
 * the readers name it (Omniglot {@code images_background/ALPHABET/CHARACTER}, class folders the folder name). A
 * name may also be any {@code /}-separated tail of a class name that only one class has ({@code Tengwar/character07}
 * for Omniglot). Every listed class must exist and appear once; classes the file does not list are left out.
 * Classes keep the reader's order within each split.
 *
 * @param source  where the file came from, for messages
 * @param entries its lines with a class
 */
public record SplitFile(String source, List<Entry> entries) {

    /** One line: {@code split className}, at 1-based {@code line}. */
    public record Entry(String split, String className, int line) {
    }

    public SplitFile {
        entries = List.copyOf(entries);
    }

    /** Reads and parses a split file from a local path or a URI. */
    public static SplitFile read(String location) throws IOException {
        return parse(new String(DataStore.readFile(location), StandardCharsets.UTF_8), location);
    }

    public static SplitFile parse(String text, String source) {
        List<Entry> entries = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (i == 0 && line.startsWith("\uFEFF")) {
                line = line.substring(1).strip();
            }
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            String split = parts[0];
            if (!split.equals(ClassSplits.TRAIN) && !split.equals(ClassSplits.VAL) && !split.equals(ClassSplits.TEST)) {
                throw new IllegalArgumentException(source + ":" + (i + 1) + ": split '" + split
                        + "' is not train, val or test (expected 'SPLIT CLASS', got '" + line + "')");
            }
            if (parts.length < 2 || parts[1].isBlank()) {
                throw new IllegalArgumentException(source + ":" + (i + 1) + ": no class name after '" + split + "'");
            }
            entries.add(new Entry(split, parts[1].strip(), i + 1));
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("split file " + source + " lists no class");
        }
        return new SplitFile(source, entries);
    }

    /** Splits {@code all} (the reader's classes, in its order) as this file says. */
    public ClassSplits apply(Layout layout, String root, List<ImageClass> all) {
        Map<String, Integer> byName = new HashMap<>();
        Map<String, List<Integer>> byTail = new HashMap<>();
        for (int c = 0; c < all.size(); c++) {
            String name = all.get(c).name();
            byName.put(name, c);
            int slash = name.indexOf('/');
            while (slash >= 0) {
                byTail.computeIfAbsent(name.substring(slash + 1), k -> new ArrayList<>()).add(c);
                slash = name.indexOf('/', slash + 1);
            }
        }
        String[] splitOf = new String[all.size()];
        Set<Integer> seen = new HashSet<>();
        for (Entry e : entries) {
            Integer c = byName.get(e.className());
            if (c == null) {
                List<Integer> tails = byTail.getOrDefault(e.className(), List.of());
                if (tails.size() > 1) {
                    throw new IllegalArgumentException(source + ":" + e.line() + ": class '" + e.className()
                            + "' is ambiguous: " + all.get(tails.get(0)).name() + " and " + all.get(tails.get(1)).name()
                            + " both end with it; give the full name");
                }
                if (tails.isEmpty()) {
                    throw new IllegalArgumentException(source + ":" + e.line() + ": class '" + e.className()
                            + "' is not in " + root + " (" + all.size() + " classes, e.g. '"
                            + (all.isEmpty() ? "none" : all.get(0).name()) + "')");
                }
                c = tails.get(0);
            }
            if (!seen.add(c)) {
                throw new IllegalArgumentException(source + ":" + e.line() + ": class '" + all.get(c).name()
                        + "' is listed twice");
            }
            splitOf[c] = e.split();
        }
        List<ImageClass> train = new ArrayList<>();
        List<ImageClass> val = new ArrayList<>();
        List<ImageClass> test = new ArrayList<>();
        for (int c = 0; c < all.size(); c++) {
            if (splitOf[c] == null) {
                continue;
            }
            switch (splitOf[c]) {
                case ClassSplits.TRAIN -> train.add(all.get(c));
                case ClassSplits.VAL -> val.add(all.get(c));
                default -> test.add(all.get(c));
            }
        }
        return new ClassSplits(layout, root, new ClassList(ClassSplits.TRAIN, train), new ClassList(ClassSplits.VAL, val),
                new ClassList(ClassSplits.TEST, test), all.size() - seen.size());
    }
}
