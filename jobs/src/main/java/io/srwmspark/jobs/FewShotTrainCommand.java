package io.srwmspark.jobs;

import io.srwmspark.driver.Dl4jAveragingTrainer;
import io.srwmspark.driver.SparkSetup;
import io.srwmspark.driver.SparkStepGradients;
import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.dl4j.FewShotGraph;
import io.srwmspark.workers.dl4j.GraphEvaluator;
import io.srwmspark.workers.dl4j.GraphState;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.fewshot.EpisodeSource;
import io.srwmspark.workers.fewshot.Episodes;
import io.srwmspark.workers.fewshot.Evaluator;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotData;
import io.srwmspark.workers.fewshot.FewShotModel;
import io.srwmspark.workers.fewshot.FewShotSetup;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.rng.Seeds;
import io.srwmspark.workers.store.CheckpointFiles;
import io.srwmspark.workers.store.RunStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./srwm fewshot train}: trains on one machine, or on Spark with {@code --master} (strategy exact:
 * synchronous gradient sums) or {@code --strategy dl4j-averaging} (the DL4J graph with dl4j-spark's parameter
 * averaging).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a few-shot learner. With no arguments: the demo (synthetic glyphs generated on first",
            "use, conf/fewshot-synth-demo.conf). Writes RUN_DIR/run.conf, metrics.csv, step-<N>.ckpt (the last",
            "train.keep-last), best-<N>.ckpt, learning-curve.png and result.json (test accuracy of the best",
            "validation checkpoint). RUN_DIR may be a local folder or a Hadoop URI (hdfs://, s3a://, file://).",
            "With --strategy dl4j-averaging the checkpoints hold the DL4J graph's state; best.zip and last.zip",
            "are the best and newest graphs as DL4J ModelSerializer zips."})
final class FewShotTrainCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", defaultValue = "fewshot-synth-demo.conf", paramLabel = "FILE",
            description = "configuration file, or a name shipped in conf/ (default: ${DEFAULT-VALUE})")
    String config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a configuration key (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--steps", paramLabel = "N", description = "optimizer steps (train.steps)")
    Integer steps;

    @Option(names = "--minutes", paramLabel = "M", description = "wall-clock budget in minutes (train.minutes)")
    Double minutes;

    @Option(names = "--seed", paramLabel = "S", description = "run seed (train.seed)")
    Long seed;

    @Option(names = "--out", paramLabel = "RUN_DIR", description = "run folder, local or a Hadoop URI"
            + " (default: runs/fewshot-<time>)")
    String out;

    @Option(names = "--resume", description = "continue from the newest step checkpoint of RUN_DIR that verifies")
    boolean resume;

    @Option(names = "--master", paramLabel = "URL", description = {"train data-parallel on Spark: local[N],"
        + " spark://HOST:PORT, yarn, k8s://...; under spark-submit the submitted master is used",
        "(default: this JVM, no Spark)"})
    String master;

    @Option(names = "--partitions", paramLabel = "P", description = "shards of each step's episodes on Spark"
            + " (default: Spark's default parallelism, at most the batch); the workers of dl4j-averaging")
    Integer partitions;

    @Option(names = "--strategy", paramLabel = "NAME", description = {"distributed training (train.strategy):"
        + " exact (synchronous gradient sums, the default) or dl4j-averaging (the model as a DL4J",
        "ComputationGraph, dl4j-spark parameter averaging; Spark local[*] unless --master); docs/distributed.md"})
    String strategy;

    @Option(names = "--local-steps", paramLabel = "K", description = {"exact strategy on Spark: rounds of K local"
        + " Adam steps per shard, then the average of the shards' parameters and Adam moments", "(train.local-steps;"
        + " 1, the default, takes exact steps; K > 1 is not exact, docs/distributed.md)"})
    Integer localSteps;

    @Option(names = "--allreduce-steps", paramLabel = "K", description = {"exact strategy on Spark: K exact steps"
        + " per Spark job, the shards exchanging their gradient sums through a reducer on the driver", "(train.allreduce-"
        + "steps; 1, the default, runs one job per step; both are exact; all P partitions run at once,"
        + " docs/distributed.md)"})
    Integer allReduceSteps;

    @Option(names = "--averaging-frequency", paramLabel = "K", description = "dl4j-averaging: local steps of each"
            + " worker between two parameter averagings (train.averaging-frequency)")
    Integer averagingFrequency;

    @Override
    public Integer call() throws IOException {
        List<String> overrides = new ArrayList<>(sets);
        if (steps != null) {
            overrides.add("train.steps=" + steps);
        }
        if (minutes != null) {
            overrides.add("train.minutes=" + minutes);
        }
        if (seed != null) {
            overrides.add("train.seed=" + seed);
        }
        if (strategy != null) {
            overrides.add("train.strategy=" + strategy);
        }
        if (averagingFrequency != null) {
            overrides.add("train.averaging-frequency=" + averagingFrequency);
        }
        if (localSteps != null) {
            overrides.add("train.local-steps=" + localSteps);
        }
        if (allReduceSteps != null) {
            overrides.add("train.allreduce-steps=" + allReduceSteps);
        }
        String runDir = out != null ? out : Path.of("runs", "fewshot-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toString();
        Checkpoint from = null;
        Conf conf;
        if (resume) {
            if (out == null) {
                throw new IllegalArgumentException("--resume needs --out RUN_DIR of the run to continue");
            }
            if (!RunStore.isDirectory(runDir)) {
                throw new IllegalArgumentException("--resume: run folder " + runDir + " does not exist");
            }
            PrintWriter warn = spec.commandLine().getErr();
            from = new CheckpointFiles(RunStore.open(runDir), 1).latest("step", msg -> warn.println("srwm: --resume "
                    + "skips " + msg)).orElseThrow(() -> new IllegalArgumentException("--resume: " + runDir
                    + " holds no step-*.ckpt checkpoint that verifies"));
            conf = RunFiles.configOf(from, runDir).with(overrides);
        } else {
            conf = RunFiles.config(config).with(overrides);
        }
        FewShotConfig cfg = FewShotConfig.from(conf);
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter outw = spec.commandLine().getOut();
        if (cfg.distributed().dl4jAveraging()) {
            FewShotGraph.checkSupported(cfg);
            if (partitions != null) {
                Dl4jAveragingTrainer.batchPerWorker(cfg.train().batch(), partitions);
            }
        }
        FewShotData data = FewShotData.load(cfg, RunFiles.dataCache(), msg -> {
            err.println("srwm: " + msg);
            err.flush();
        });
        if (from != null && !data.identity().equals(from.meta("dataset"))) {
            throw new IllegalArgumentException("--resume: the data at " + data.root() + " (identity "
                    + data.identity() + ") is not what " + runDir + " was trained on (" + from.meta("dataset") + ")");
        }
        if (from != null && cfg.distributed().dl4jAveraging() != (from.meta(GraphState.ITERATION) != null)) {
            throw new IllegalArgumentException("--resume: " + runDir + " was trained with train.strategy = "
                    + (from.meta(GraphState.ITERATION) != null ? "dl4j-averaging" : "exact")
                    + "; a run cannot change its strategy");
        }
        RunStore run = RunStore.open(runDir);
        String effective = conf.effective();
        run.writeBytes(RunFiles.RUN_CONF, effective.getBytes(StandardCharsets.UTF_8));
        Map<String, String> meta = new HashMap<>();
        meta.put("config", effective);
        meta.put("dataset", data.identity());
        meta.put("dataset.root", data.root());
        meta.put("code.version", Versions.code());
        meta.put("seed", Long.toString(cfg.train().seed()));
        meta.put("input.shape", data.train().channels() + "," + data.train().height() + "," + data.train().width());
        if (cfg.distributed().dl4jAveraging()) {
            return trainDl4j(cfg, conf, data, run, from, meta, err, outw);
        }
        FewShotModel model = FewShotSetup.model(cfg, data.train().channels(), data.train().height(),
                data.train().width());
        meta.put("params", Long.toString(model.layout().size()));
        err.printf(Locale.ROOT, "srwm: %s model, %,d parameters; %d-way %d-shot %s; run folder %s%n",
                cfg.model().sequence(), model.layout().size(), cfg.episode().ways(), cfg.episode().shots(),
                cfg.episode().setting().name().toLowerCase(Locale.ROOT), runDir);
        ProgressBar bar = new ProgressBar(err, cfg.train().batch());
        FewShotTrainer.Outcome o;
        if (master == null && System.getProperty("spark.master") == null) {
            o = FewShotTrainer.train(cfg, model, data.classes("train"), data.classes("val"), run, from, meta, bar);
        } else {
            o = trainOnSpark(cfg, conf, data, model, run, from, meta, bar, err);
        }
        bar.finish();
        EpisodeSource test = Episodes.source(cfg, data.classes("test"), FewShotTrainer.evalSpec(cfg.episode()),
                Seeds.derive(cfg.train().seed(), FewShotTrainer.STREAM_TEST_EPISODES), model.ways(),
                cfg.train().batch());
        Evaluator.Report r = Evaluator.evaluate(model, o.bestParams(), test, cfg.evalEpisodes(), cfg.train().batch());
        StringBuilder perShot = new StringBuilder();
        for (int task = 0; task < r.perShot().length && r.perShot()[task].length > 0; task++) {
            perShot.append(task == 0 ? ",\"per_shot\":[" : ",")
                    .append(FewShotEvalCommand.jsonArray(r.perShot()[task]));
        }
        if (perShot.length() > 0) {
            perShot.append(']');
        }
        String json = String.format(Locale.ROOT, "{\"accuracy\":%.6f,\"ci95\":%.6f,\"episodes\":%d,\"steps\":%d,"
                + "\"seconds\":%.1f,\"best_step\":%d,\"best_val\":%.6f,\"dataset\":\"%s\"%s}", r.accuracy().mean(),
                r.accuracy().ci95(), r.accuracy().episodes(), o.step(), o.seconds(), o.bestStep(), o.bestVal(),
                data.identity(), perShot);
        run.writeBytes("result.json", (json + "\n").getBytes(StandardCharsets.UTF_8));
        outw.printf(Locale.ROOT, "trained %d steps in %.1f min; best validation %.2f%% at step %d%n", o.step(),
                o.seconds() / 60, 100 * o.bestVal(), o.bestStep());
        outw.println("test accuracy: " + r.accuracy() + " (" + cfg.episode().ways() + "-way " + cfg.episode().shots()
                + "-shot, held-out classes)");
        for (int task = 0; task < r.perShot().length && r.perShot()[task].length > 0; task++) {
            StringBuilder line = new StringBuilder(r.perShot().length > 1 ? "  task " + (task + 1) + String.format(
                    Locale.ROOT, " (%.2f%%)", 100 * r.perTask()[task]) + ", by occurrence:" : "  by occurrence:");
            for (double a : r.perShot()[task]) {
                line.append(String.format(Locale.ROOT, " %.1f%%", 100 * a));
            }
            outw.println(line);
        }
        outw.flush();
        return 0;
    }

    private FewShotTrainer.Outcome trainOnSpark(FewShotConfig cfg, Conf conf, FewShotData data, FewShotModel model,
            RunStore run, Checkpoint from, Map<String, String> meta, ProgressBar bar, PrintWriter err)
            throws IOException {
        // executors read the data the driver resolved (the synthetic glyphs' cache folder, or data.path)
        String shipped = RunFiles.forExecutors(conf, data);
        SparkConf base = new SparkConf();
        try (JavaSparkContext sc = new JavaSparkContext(SparkSetup.conf(base, "srwm fewshot " + run.name(),
                master))) {
            int p = partitions != null ? partitions : Math.min(cfg.train().batch(), sc.defaultParallelism());
            int allReduce = cfg.distributed().allReduceSteps();
            err.printf(Locale.ROOT, "srwm: Spark master %s, %d partitions per step%s%n", sc.master(), p, allReduce > 1
                    ? ", all-reduce rounds of up to " + allReduce + " steps per job" : "");
            try (SparkStepGradients grads = new SparkStepGradients(sc, shipped, cfg.train().batch(), p,
                    Math.toIntExact(model.layout().size()), "srwm fewshot " + run.name())) {
                return FewShotTrainer.train(cfg, model, grads, data.classes("val"), run, from, meta, bar);
            }
        }
    }

    /**
     * Strategy dl4j-averaging: the DL4J graph on Spark with dl4j-spark's parameter averaging, then the test
     * accuracy of the best validation graph (the project's protocol, DL4J's running batch-norm statistics).
     */
    private Integer trainDl4j(FewShotConfig cfg, Conf conf, FewShotData data, RunStore run, Checkpoint from,
            Map<String, String> meta, PrintWriter err, PrintWriter outw) throws IOException {
        String shipped = RunFiles.forExecutors(conf, data);
        ProgressBar bar = new ProgressBar(err, cfg.train().batch());
        Dl4jAveragingTrainer.Outcome o;
        try (JavaSparkContext sc = new JavaSparkContext(SparkSetup.conf(new SparkConf(), "srwm fewshot "
                + run.name(), master))) {
            int workers = partitions != null ? partitions : Math.min(cfg.train().batch(), sc.defaultParallelism());
            int perWorker = Dl4jAveragingTrainer.batchPerWorker(cfg.train().batch(), workers);
            long params = FewShotGraph.build(cfg, data.train().channels(), data.train().height(), data.train().width())
                    .numParams();
            meta.put("params", Long.toString(params));
            meta.put("strategy", FewShotConfig.Distributed.DL4J_AVERAGING);
            err.printf(Locale.ROOT, "srwm: dl4j-averaging: DL4J ComputationGraph, %,d parameters; Spark master %s, "
                    + "%d workers x %d episodes per minibatch, averaging every %d steps; run folder %s%s%n", params,
                    sc.master(), workers, perWorker, cfg.distributed().averagingFrequency(), run.location(),
                    from == null ? "" : "; resuming at step " + from.step());
            o = Dl4jAveragingTrainer.train(sc, cfg, shipped, workers, data.classes("val"), run, from, meta, bar);
        }
        bar.finish();
        EpisodeSource test = Episodes.source(cfg, data.classes("test"), FewShotTrainer.evalSpec(cfg.episode()),
                Seeds.derive(cfg.train().seed(), FewShotTrainer.STREAM_TEST_EPISODES), cfg.episode().ways(),
                cfg.train().batch());
        Evaluator.Report r = GraphEvaluator.evaluate(o.best(), test, cfg.evalEpisodes(), cfg.train().batch(),
                GraphEvaluator.BatchNorm.RUNNING);
        String json = String.format(Locale.ROOT, "{\"accuracy\":%.6f,\"ci95\":%.6f,\"episodes\":%d,\"steps\":%d,"
                + "\"rounds\":%d,\"seconds\":%.1f,\"best_step\":%d,\"best_val\":%.6f,\"dataset\":\"%s\","
                + "\"strategy\":\"%s\",\"batch_norm\":\"running\"}", r.accuracy().mean(), r.accuracy().ci95(),
                r.accuracy().episodes(), o.step(), o.rounds(), o.seconds(), o.bestStep(), o.bestVal(), data.identity(),
                FewShotConfig.Distributed.DL4J_AVERAGING);
        run.writeBytes("result.json", (json + "\n").getBytes(StandardCharsets.UTF_8));
        outw.printf(Locale.ROOT, "trained %d steps (%d averaging rounds) in %.1f min; best validation %.2f%% at step "
                + "%d%n", o.step(), o.rounds(), o.seconds() / 60, 100 * o.bestVal(), o.bestStep());
        outw.println("test accuracy: " + r.accuracy() + " (" + cfg.episode().ways() + "-way " + cfg.episode().shots()
                + "-shot, held-out classes, DL4J running batch-norm statistics)");
        outw.flush();
        return 0;
    }

    /** One status line on stderr, rewritten in place. */
    static final class ProgressBar implements FewShotTrainer.Progress {
        private final PrintWriter err;
        private final int batch;
        private String val = "";
        private FewShotTrainer.StepTimes times;

        ProgressBar(PrintWriter err, int batch) {
            this.err = err;
            this.batch = batch;
        }

        @Override
        public void step(long step, long total, double loss, double accuracy, double stepsPerSecond, double seconds) {
            int width = 24;
            int filled = (int) Math.min(width, width * step / Math.max(1, total));
            String acc = Double.isNaN(accuracy) ? "" : String.format(Locale.ROOT, " | acc %5.1f%%", 100 * accuracy);
            err.printf(Locale.ROOT, "\r[%s%s] step %d/%d | loss %.4f%s | %.1f steps/s (%.0f episodes/s)"
                    + " | %s%s   ", "#".repeat(filled), ".".repeat(width - filled), step, total, loss, acc,
                    stepsPerSecond, stepsPerSecond * batch, clock(seconds), val);
            err.flush();
        }

        @Override
        public void timing(long step, FewShotTrainer.StepTimes t) {
            times = t;
        }

        @Override
        public void validation(long step, double accuracy, double ci95, boolean best) {
            val = String.format(Locale.ROOT, " | val %.1f%%%s", 100 * accuracy, best ? " (best)" : "");
            err.printf(Locale.ROOT, "%n  validation at step %d: %.2f%% +- %.2f%%%s%n", step, 100 * accuracy,
                    100 * ci95, best ? ", best so far" : "");
            if (times != null) {
                err.printf(Locale.ROOT, "  step time %.1f ms: compute %.1f, broadcast %.1f, aggregation %.1f, "
                        + "update %.1f (%.0f%% outside compute)%n", times.step(), times.compute(), times.broadcast(),
                        times.aggregate(), times.update(), 100 * times.overhead());
            }
            err.flush();
        }

        void finish() {
            err.println();
            err.flush();
        }

        private static String clock(double s) {
            long t = (long) s;
            return String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
        }
    }
}
