package io.srwmspark.jobs;

import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where a run's files are and how configurations are found. */
final class RunFiles {

    /** The configuration a run was made with, as written into its folder. */
    static final String RUN_CONF = "run.conf";
    static final String BEST = "best.ckpt";
    static final String LAST = "last.ckpt";
    /** The best and last DL4J graphs of a dl4j-averaging run. */
    static final String GRAPH_BEST = "best.zip";
    static final String GRAPH_LAST = "last.zip";

    private RunFiles() {
    }

    /**
     * A configuration file: a path, or the name of a file shipped in conf/ (e.g. {@code fewshot-omniglot.conf},
     * also found on the class path when run from a jar).
     */
    static Conf config(String name) throws IOException {
        Path p = Path.of(name);
        if (Files.isRegularFile(p)) {
            return Conf.load(p);
        }
        String resource = "conf/" + p.getFileName();
        try (InputStream in = RunFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("config " + name + " not found (neither a file nor one of the "
                        + "configurations shipped in conf/)");
            }
            return Conf.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource);
        }
    }

    /** Cache folder of generated data: $SRWM_HOME/data, default .srwm/data. */
    static Path dataCache() {
        String home = System.getenv("SRWM_HOME");
        return Path.of(home == null || home.isEmpty() ? ".srwm" : home).resolve("data");
    }

    /** The checkpoint of a run folder (its best) or a checkpoint file. */
    static Path checkpoint(Path runOrFile) {
        if (Files.isDirectory(runOrFile)) {
            Path best = runOrFile.resolve(BEST);
            if (Files.isRegularFile(best)) {
                return best;
            }
            Path last = runOrFile.resolve(LAST);
            if (Files.isRegularFile(last)) {
                return last;
            }
            throw new IllegalArgumentException(runOrFile + " is a folder without " + BEST + ", " + LAST + ", "
                    + GRAPH_BEST + " or " + GRAPH_LAST);
        }
        if (!Files.isRegularFile(runOrFile)) {
            throw new IllegalArgumentException("model " + runOrFile + " does not exist");
        }
        return runOrFile;
    }

    /**
     * The DL4J graph zip of a dl4j-averaging run folder (best.zip, else last.zip, when the folder has no
     * checkpoint of the exact model) or a {@code .zip} file; null when {@code runOrFile} is an exact model's.
     */
    static Path graphModel(Path runOrFile) {
        if (Files.isDirectory(runOrFile)) {
            if (Files.isRegularFile(runOrFile.resolve(BEST)) || Files.isRegularFile(runOrFile.resolve(LAST))) {
                return null;
            }
            for (String name : new String[] {GRAPH_BEST, GRAPH_LAST}) {
                if (Files.isRegularFile(runOrFile.resolve(name))) {
                    return runOrFile.resolve(name);
                }
            }
            return null;
        }
        return runOrFile.getFileName().toString().endsWith(".zip") ? runOrFile : null;
    }

    static Checkpoint read(Path runOrFile) throws IOException {
        return FewShotTrainer.readCheckpoint(checkpoint(runOrFile));
    }

    /** The configuration stored in a checkpoint. */
    static Conf configOf(Checkpoint c, Path where) {
        String text = c.meta("config");
        if (text == null) {
            throw new IllegalArgumentException(where + " carries no configuration");
        }
        return Conf.parse(text, where + " (config)");
    }
}
