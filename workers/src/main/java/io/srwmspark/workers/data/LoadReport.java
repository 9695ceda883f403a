package io.srwmspark.workers.data;

import java.util.List;
import java.util.Locale;

/**
 * What loading a split did.
 *
 * @param split        the split's name
 * @param files        image files read (before rotations)
 * @param images       images held (after skipping, times 4 with rotations)
 * @param classes      classes held (times 4 with rotations)
 * @param skipped      files skipped as unreadable (only with {@link LoadOptions#skipUnreadable})
 * @param skippedFiles the first (at most {@link #MAX_LISTED}) skipped files, each with its reason
 * @param fileBytes    bytes read from storage
 * @param bytes        bytes held in memory (the float array and class offsets)
 * @param millis       wall time of the load
 * @param threads      decoding threads
 */
public record LoadReport(String split, int files, int images, int classes, int skipped, List<String> skippedFiles,
        long fileBytes, long bytes, long millis, int threads) {

    public static final int MAX_LISTED = 20;

    public LoadReport {
        skippedFiles = List.copyOf(skippedFiles);
    }

    /** E.g. {@code train: 20560 files -> 82240 images, 4112 classes, 258.0 MB in memory, 31.2 MB read in 4.1 s (2 threads)}. */
    public String summary() {
        return String.format(Locale.ROOT, "%s: %d files -> %d images, %d classes, %.1f MB in memory, %.1f MB read in"
                + " %.2f s (%d threads)%s", split, files, images, classes, bytes / 1e6, fileBytes / 1e6, millis / 1e3,
                threads, skipped > 0 ? ", " + skipped + " unreadable files skipped" : "");
    }
}
