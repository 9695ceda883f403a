package io.srwmspark.jobs;

import io.srwmspark.driver.SparkSetup;
import io.srwmspark.driver.SparkStepGradients;
import io.srwmspark.workers.bench.Timing;
import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotData;
import io.srwmspark.workers.fewshot.FewShotModel;
import io.srwmspark.workers.fewshot.FewShotSetup;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.fewshot.GradientSum;
import io.srwmspark.workers.rng.Seeds;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./srwm bench spark}: data-parallel steps on Spark local[1] and local[2]. */
@Command(name = "spark", mixinStandardHelpOptions = true,
        description = {"Times synchronous data-parallel training steps on Spark local[1] (1 partition) and local[2]",
            "(2 partitions), each in a fresh JVM: steps/s, the scaling efficiency E(2) = thr(2) / (2 thr(1)), and",
            "the share of the step spent outside executor compute. Each task owns one core (spark.task.cpus = 1)."})
final class BenchSparkCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", defaultValue = "fewshot-synth-demo.conf", paramLabel = "FILE",
            description = "configuration (default: ${DEFAULT-VALUE})")
    String config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a configuration key (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--batch", defaultValue = "128", paramLabel = "B", description = "episodes per step (default:"
            + " ${DEFAULT-VALUE}, so that a step computes >= 200 ms on each of local[2]'s cores with the demo model)")
    int batch;

    @Option(names = "--warmup", defaultValue = "30", paramLabel = "N", description = "untimed steps at least"
            + " (default: ${DEFAULT-VALUE}); warm-up goes on until the JVM has settled (see --max-warmup)")
    int warmup;

    @Option(names = "--max-warmup", defaultValue = "300", paramLabel = "N", description = "untimed steps at most"
            + " (default: ${DEFAULT-VALUE}): settled means that over the last " + SETTLE_WINDOW + " steps the JIT"
            + " compiled for <= 2% of the wall time and the process touched <= " + SETTLE_FAULTS + " new pages"
            + " per step")
    int maxWarmup;

    @Option(names = "--steps", defaultValue = "40", paramLabel = "N", description = "timed steps (default:"
            + " ${DEFAULT-VALUE}; the median is reported)")
    int steps;

    @Option(names = "--json", description = "one JSON object")
    boolean json;

    @Option(names = "--only", paramLabel = "N", hidden = true,
            description = "measure local[N] in this JVM and print one JSON row (used by the forked runs)")
    Integer only;

    static final int SETTLE_WINDOW = 10;
    static final int SETTLE_FAULTS = 256;

    /**
     * Median step ms, the mean share of the step outside the slowest shard's compute, mean ms of the slowest
     * shard's compute and of the broadcast, and the warm-up steps run (and whether the JVM settled in them).
     */
    record Row(int threads, double stepMs, double overhead, double computeMs, double broadcastMs, int warmupSteps,
            boolean settled) {
    }

    @Override
    public Integer call() throws IOException {
        if (batch < 2) {
            throw new IllegalArgumentException("--batch must be >= 2, got " + batch);
        }
        if (warmup < 0 || maxWarmup < warmup || steps < 1) {
            throw new IllegalArgumentException("need 0 <= --warmup <= --max-warmup and --steps >= 1, got --warmup "
                    + warmup + ", --max-warmup " + maxWarmup + ", --steps " + steps);
        }
        List<String> all = new ArrayList<>(sets);
        all.add("train.batch=" + batch);
        Conf conf = RunFiles.config(config).with(all);
        FewShotConfig cfg = FewShotConfig.from(conf);
        PrintWriter err = spec.commandLine().getErr();
        FewShotData data = FewShotData.load(cfg, RunFiles.dataCache(), msg -> err.println("srwm: " + msg));
        String shipped = RunFiles.forExecutors(conf, data);
        FewShotModel model = FewShotSetup.model(cfg, data.train().channels(), data.train().height(),
                data.train().width());
        if (only != null) {
            Row r = measure(cfg, shipped, model, only);
            PrintWriter out = spec.commandLine().getOut();
            out.println(String.format(Locale.ROOT, "{\"threads\":%d,\"step_ms\":%.3f,\"overhead\":%.5f,"
                    + "\"compute_ms\":%.3f,\"broadcast_ms\":%.3f,\"warmup_steps\":%d,\"settled\":%b}",
                    r.threads(), r.stepMs(), r.overhead(), r.computeMs(), r.broadcastMs(), r.warmupSteps(),
                    r.settled()));
            out.flush();
            return 0;
        }
        List<Row> rows = new ArrayList<>();
        for (int threads : new int[] {1, 2}) {
            rows.add(forked(threads));
        }
        Row one = rows.get(0);
        Row two = rows.get(1);
        double efficiency = (1000 / two.stepMs()) / (2 * (1000 / one.stepMs()));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(String.format(Locale.ROOT, "{\"batch\":%d,\"steps_per_s_1\":%.3f,\"steps_per_s_2\":%.3f,"
                    + "\"efficiency_2\":%.3f,\"overhead_1\":%.3f,\"overhead_2\":%.3f,\"compute_ms_2\":%.1f,"
                    + "\"warmup_steps_1\":%d,\"warmup_steps_2\":%d,\"settled\":%b}", batch, 1000 / one.stepMs(),
                    1000 / two.stepMs(), efficiency, one.overhead(), two.overhead(), two.computeMs(),
                    one.warmupSteps(), two.warmupSteps(), one.settled() && two.settled()));
        } else {
            out.printf(Locale.ROOT, "%s, batch %d, %d timed steps (median) after %d..%d warm-up steps%n", config,
                    cfg.train().batch(), steps, warmup, maxWarmup);
            out.printf(Locale.ROOT, "%-10s %12s %10s %14s %13s %16s %18s%n", "master", "step ms", "steps/s",
                    "shard ms (max)", "broadcast ms", "outside compute", "warm-up steps");
            for (Row r : rows) {
                out.printf(Locale.ROOT, "%-10s %12.1f %10.2f %14.1f %13.1f %15.1f%% %18s%n",
                        "local[" + r.threads() + "]", r.stepMs(), 1000 / r.stepMs(), r.computeMs(), r.broadcastMs(),
                        100 * r.overhead(), r.warmupSteps() + (r.settled() ? " (settled)" : " (unsettled)"));
            }
            out.printf(Locale.ROOT, "E(2) = thr(2) / (2 thr(1)) = %.3f%n", efficiency);
        }
        out.flush();
        return 0;
    }

    /**
     * local[N] in a fresh JVM where every task computes on one thread (its kernels inline, ND4J on one OpenMP
     * thread), as on an executor with {@code spark.task.cpus = 1}: local[1] uses one core and local[2] two.
     */
    private Row forked(int threads) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-Dsrwm.cpu.threads")) {
                cmd.add(a);
            }
        }
        cmd.add("-Dsrwm.cpu.threads=1");                                // each task owns one core
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SrwmCli.class.getName(), "bench", "spark",
                "--config", config, "--warmup", Integer.toString(warmup), "--max-warmup",
                Integer.toString(maxWarmup), "--steps", Integer.toString(steps),
                "--batch", Integer.toString(batch), "--only", Integer.toString(threads)));
        for (String s : sets) {
            cmd.addAll(List.of("--set", s));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("OMP_NUM_THREADS", "1");                   // ND4J too: the tasks fill the cores
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            int code = p.waitFor();
            String line = text.lines().filter(l -> l.startsWith("{")).findFirst().orElse(null);
            if (code != 0 || line == null) {
                throw new IllegalStateException("forked bench of local[" + threads + "] failed (exit " + code + "): "
                        + text);
            }
            org.nd4j.shade.jackson.databind.JsonNode n = new org.nd4j.shade.jackson.databind.ObjectMapper()
                    .readTree(line);
            return new Row(threads, n.get("step_ms").asDouble(), n.get("overhead").asDouble(),
                    n.get("compute_ms").asDouble(), n.get("broadcast_ms").asDouble(), n.get("warmup_steps").asInt(),
                    n.get("settled").asBoolean());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the forked bench", ex);
        }
    }

    private Row measure(FewShotConfig cfg, String shipped, FewShotModel model, int threads) {
        SparkConf base = new SparkConf().set("spark.ui.enabled", "false");
        try (JavaSparkContext sc = new JavaSparkContext(SparkSetup.conf(base, "srwm bench spark", "local[" + threads
                + "]"))) {
            int size = Math.toIntExact(model.layout().size());
            SparkStepGradients grads = new SparkStepGradients(sc, shipped, cfg.train().batch(), threads, size,
                    "bench local[" + threads + "]");
            INDArray params = model.init(DataType.FLOAT, Seeds.derive(cfg.train().seed(),
                    FewShotTrainer.STREAM_INIT));
            Settling settling = new Settling(SETTLE_WINDOW, 0.02, SETTLE_FAULTS);
            int warm = 0;
            boolean settled = false;
            while (warm < maxWarmup && !(warm >= warmup && settled)) {
                grads.compute(warm++, params);
                settling.step();
                settled = settling.settled();
            }
            double[] ms = new double[steps];
            double overhead = 0;
            double compute = 0;
            double broadcast = 0;
            for (int s = 0; s < steps; s++) {
                long t0 = System.nanoTime();
                GradientSum g = grads.compute(warm + s, params);
                long took = System.nanoTime() - t0;
                ms[s] = took / 1e6;
                overhead += 1 - g.maxShardNanos() / (double) took;
                compute += g.maxShardNanos() / 1e6;
                broadcast += grads.lastTiming().broadcastNanos() / 1e6;
            }
            return new Row(threads, new Timing(ms).medianMs(), overhead / steps, compute / steps, broadcast / steps,
                    warm, settled);
        }
    }
}
