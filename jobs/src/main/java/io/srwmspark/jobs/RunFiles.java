package io.srwmspark.jobs;

import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.data.DataStore;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotData;
import io.srwmspark.workers.store.CheckpointFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where a run's files are and how configurations are found. */
final class RunFiles {

    /** The configuration a run was made with, as written into its folder. */
    static final String RUN_CONF = "run.conf";
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

    /**
     * The checkpoint of a run folder (its best) or a checkpoint file, local or a URI; checkpoints that fail their
     * checksum are reported on stderr and passed over.
     */
    static Checkpoint read(String runOrFile) throws IOException {
        return CheckpointFiles.readModel(runOrFile, msg -> System.err.println("srwm: skipped " + msg));
    }

    /**
     * A dataset root as executors must be given it: a path without a URI scheme (such as the synthetic glyphs'
     * default cache, .srwm/data/..., relative to the driver's working folder) made absolute, since executors run
     * in folders of their own; URIs ({@code hdfs://}, {@code s3a://}, {@code file:}) unchanged.
     */
    static String shippable(String root) {
        if (DataStore.hasScheme(root)) {
            return root;
        }
        return Path.of(root).toAbsolutePath().normalize().toString();
    }

    /**
     * The run's effective configuration as executors get it: the dataset roots the driver resolved
     * ({@code data.path}, and {@code multitask.data.path} when there is a second dataset) made shippable, and
     * every key listed (the text is also the key of the executors' per-JVM cache).
     */
    static String forExecutors(Conf conf, FewShotData data) {
        List<String> paths = new ArrayList<>(List.of("data.path=" + shippable(data.root())));
        if (data.second() != null) {
            paths.add("multitask.data.path=" + shippable(data.second().root()));
        }
        Conf withPaths = conf.with(paths);
        FewShotConfig.from(withPaths);                                  // reads every key, so effective() lists all
        return withPaths.effective();
    }

    /**
     * The DL4J graph zip of a dl4j-averaging run folder (best.zip, else last.zip, when the folder has no
     * checkpoint of the exact model) or a {@code .zip} file; null when {@code runOrFile} is an exact model's.
     * dl4j-averaging runs are local.
     */
    static Path graphModel(String runOrFile) {
        if (DataStore.hasScheme(runOrFile)) {
            return null;
        }
        Path p = Path.of(runOrFile);
        if (Files.isDirectory(p)) {
            try (var files = Files.list(p)) {
                if (files.anyMatch(f -> f.getFileName().toString().endsWith(".ckpt"))) {
                    return null;
                }
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException("cannot list " + p, ex);
            }
            for (String name : new String[] {GRAPH_BEST, GRAPH_LAST}) {
                if (Files.isRegularFile(p.resolve(name))) {
                    return p.resolve(name);
                }
            }
            return null;
        }
        return runOrFile.endsWith(".zip") ? p : null;
    }

    /** The configuration stored in a checkpoint. */
    static Conf configOf(Checkpoint c, String where) {
        String text = c.meta("config");
        if (text == null) {
            throw new IllegalArgumentException(where + " carries no configuration");
        }
        return Conf.parse(text, where + " (config)");
    }
}
