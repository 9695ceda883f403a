package io.srwmspark.workers.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A run folder's {@code metrics.csv}: kept in memory and rewritten whole (atomically, {@link RunStore#writeBytes})
 * at every validation and at most every 30 s otherwise, so that it works on file systems without append (S3).
 * A resumed run keeps the rows up to the step it resumes from; the first column of every row is the step.
 */
public final class MetricsFile {

    /** The file name in a run folder. */
    public static final String NAME = "metrics.csv";

    private static final long WRITE_EVERY_NANOS = 30_000_000_000L;

    private final RunStore run;
    private final StringBuilder rows;
    private long lastWrite = System.nanoTime();

    /**
     * @param header     the CSV header line (without the line end)
     * @param resumeStep the step a resumed run continues from, or -1 for a new run (any old file is replaced)
     */
    public MetricsFile(RunStore run, String header, long resumeStep) throws IOException {
        this.run = run;
        this.rows = new StringBuilder(header).append('\n');
        if (resumeStep >= 0 && run.exists(NAME)) {
            String[] lines = new String(run.read(NAME), StandardCharsets.UTF_8).split("\n");
            for (int i = 1; i < lines.length; i++) {
                int comma = lines[i].indexOf(',');
                if (comma > 0 && Long.parseLong(lines[i].substring(0, comma)) <= resumeStep) {
                    rows.append(lines[i]).append('\n');
                }
            }
        }
    }

    /** Appends a row; writes the file now if {@code now}, or if the last write is 30 s old. */
    public void add(String row, boolean now) throws IOException {
        rows.append(row).append('\n');
        if (now || System.nanoTime() - lastWrite > WRITE_EVERY_NANOS) {
            flush();
        }
    }

    /** Writes the file. */
    public void flush() throws IOException {
        run.writeBytes(NAME, rows.toString().getBytes(StandardCharsets.UTF_8));
        lastWrite = System.nanoTime();
    }
}
