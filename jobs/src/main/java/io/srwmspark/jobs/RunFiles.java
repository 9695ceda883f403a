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

    /**
     * A dataset root as executors must be given it: a path without a URI scheme (such as the synthetic glyphs'
     * default cache, .srwm/data/..., relative to the driver's working folder) made absolute, since executors run
     * in folders of their own; URIs ({@code hdfs://}, {@code s3a://}, {@code file:}) unchanged.
     */
    static String shippable(String root) {
        if (root.matches("[A-Za-z][A-Za-z0-9+.-]*:.*")) {
            return root;
        }
        return Path.of(root).toAbsolutePath().normalize().toString();
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
            throw new IllegalArgumentException(runOrFile + " is a folder without " + BEST + " or " + LAST);
        }
        if (!Files.isRegularFile(runOrFile)) {
            throw new IllegalArgumentException("model " + runOrFile + " does not exist");
        }
        return runOrFile;
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
