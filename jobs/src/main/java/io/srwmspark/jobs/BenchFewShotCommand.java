package io.srwmspark.jobs;

import io.srwmspark.workers.bench.FewShotBench;
import io.srwmspark.workers.fewshot.FewShotConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./srwm bench fewshot}: few-shot training steps per second. */
@Command(name = "fewshot", mixinStandardHelpOptions = true,
        description = {"Times full few-shot training steps (sampling, forward, backward, Adam) of a configuration",
            "on random images of its input shape: median step time, episodes/s, and where the time goes."})
final class BenchFewShotCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", defaultValue = "fewshot-omniglot.conf", paramLabel = "FILE",
            description = "configuration (default: ${DEFAULT-VALUE})")
    String config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a configuration key (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--channels", paramLabel = "C", description = "image channels (default: 1 for images up to"
            + " 32 pixels, else 3)")
    Integer channels;

    @Option(names = "--warmup", defaultValue = "8", paramLabel = "N", description = "untimed steps")
    int warmup;

    @Option(names = "--steps", defaultValue = "15", paramLabel = "N", description = "timed steps")
    int steps;

    @Option(names = "--json", description = "one JSON object")
    boolean json;

    @Option(names = "--graph", description = "time the DL4J ComputationGraph of the configuration instead (strategy"
            + " dl4j-averaging: graph.fit on train.batch episodes); the parts of the step are not split")
    boolean graph;

    @Override
    public Integer call() throws IOException {
        if (warmup < 0 || steps < 1) {
            throw new IllegalArgumentException("--warmup must be >= 0 and --steps >= 1");
        }
        FewShotConfig cfg = FewShotConfig.from(RunFiles.config(config).with(sets));
        int c = channels != null ? channels : cfg.data().imageSize() <= 32 ? 1 : 3;
        FewShotBench.Result r = graph ? FewShotBench.runGraph(cfg, c, warmup, steps)
                : FewShotBench.run(cfg, c, warmup, steps);
        PrintWriter out = spec.commandLine().getOut();
        double mean = java.util.Arrays.stream(r.stepMs().samplesMs()).average().orElseThrow();
        double other = mean - r.backboneMs() - r.sequenceMs() - r.headMs() - r.optimizerMs();
        if (json && graph) {
            out.println(String.format(Locale.ROOT, "{\"config\":\"%s\",\"model\":\"dl4j-graph\",\"params\":%d,"
                    + "\"batch\":%d,\"median_step_ms\":%.2f,\"episodes_per_s\":%.2f,\"mean_step_ms\":%.2f}", config,
                    r.model(), r.episodesPerStep(), r.stepMs().medianMs(), r.episodesPerSecond(), mean));
        } else if (json) {
            out.println(String.format(Locale.ROOT, "{\"config\":\"%s\",\"params\":%d,\"batch\":%d,\"median_step_ms\":%.2f,"
                    + "\"episodes_per_s\":%.2f,\"backbone_ms\":%.2f,\"sequence_ms\":%.2f,\"head_ms\":%.2f,"
                    + "\"optimizer_ms\":%.2f,\"other_ms\":%.2f,\"mean_step_ms\":%.2f}", config, r.model(),
                    r.episodesPerStep(), r.stepMs().medianMs(), r.episodesPerSecond(), r.backboneMs(), r.sequenceMs(), r.headMs(),
                    r.optimizerMs(), other, mean));
        } else {
            out.printf(Locale.ROOT, "%s%s: %,d parameters, %d episodes of %d-way %d-shot per step, %dx%dx%d images%n",
                    config, graph ? " (DL4J ComputationGraph)" : "", r.model(), r.episodesPerStep(),
                    cfg.episode().ways(), cfg.episode().shots(), c, cfg.data().imageSize(), cfg.data().imageSize());
            out.printf(Locale.ROOT, "%-28s %10s%n", "", "ms/step");
            out.printf(Locale.ROOT, "%-28s %10.1f%n", "step (median)", r.stepMs().medianMs());
            if (graph) {
                out.printf(Locale.ROOT, "%-28s %10.1f%n", "step (mean)", mean);
                out.printf(Locale.ROOT, "episodes/s: %.1f%n", r.episodesPerSecond());
                out.flush();
                return 0;
            }
            out.printf(Locale.ROOT, "%-28s %10.1f%n", "step (mean), of which:", mean);
            out.printf(Locale.ROOT, "%-28s %10.1f%n", "  backbone (CNN)", r.backboneMs());
            out.printf(Locale.ROOT, "%-28s %10.1f%n", "  sequence model", r.sequenceMs());
            out.printf(Locale.ROOT, "%-28s %10.1f%n", "  classifier and loss", r.headMs());
            out.printf(Locale.ROOT, "%-28s %10.1f%n", "  optimizer (Adam)", r.optimizerMs());
            out.printf(Locale.ROOT, "%-28s %10.1f%n", "  other (sampling, copies)", other);
            out.printf(Locale.ROOT, "episodes/s: %.1f%n", r.episodesPerSecond());
        }
        out.flush();
        return 0;
    }
}
