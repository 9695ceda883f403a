package io.srwmspark.jobs;

import io.srwmspark.workers.data.SyntheticGlyphs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./srwm data synth}: writes synthetic glyphs in Omniglot's layout. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Writes procedurally drawn characters as 105x105 PNGs in Omniglot's layout",
            "(images_background/ and images_evaluation/, alphabet_XX/character_YY/NN.png), the same bytes for the",
            "same seed. DIR appears complete or not at all; it must not exist or be empty. See docs/data.md."})
final class DataSynthCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder (new or empty)")
    Path out;

    @Option(names = "--classes", required = true, paramLabel = "N", description = "number of characters (classes)")
    int classes;

    @Option(names = "--per-class", required = true, paramLabel = "M", description = "images per character")
    int perClass;

    @Option(names = "--seed", required = true, paramLabel = "S", description = "seed: class c and image i are drawn"
            + " from derive(S, c) and derive(S, c, i)")
    long seed;

    @Option(names = "--background-fraction", defaultValue = "0.8", paramLabel = "F",
            description = "share of classes in images_background/, the rest in images_evaluation/"
                    + " (default: ${DEFAULT-VALUE})")
    double backgroundFraction;

    @Option(names = "--threads", paramLabel = "T", description = "writer threads (default: all cores)")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        if (classes < 1) {
            throw new IllegalArgumentException("--classes must be >= 1, got " + classes);
        }
        if (perClass < 1) {
            throw new IllegalArgumentException("--per-class must be >= 1, got " + perClass);
        }
        if (!(backgroundFraction >= 0 && backgroundFraction <= 1)) {
            throw new IllegalArgumentException("--background-fraction must be in [0, 1], got " + backgroundFraction);
        }
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        }
        SyntheticGlyphs.Written w = new SyntheticGlyphs(seed).write(out, classes, perClass, backgroundFraction, t);
        PrintWriter p = spec.commandLine().getOut();
        p.println(w.summary() + ", seed " + seed);
        p.flush();
        return 0;
    }
}
