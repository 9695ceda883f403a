package io.srwmspark.jobs;

import io.srwmspark.driver.SparkSetup;
import io.srwmspark.driver.SparkStepGradients;
import io.srwmspark.workers.bench.HostParallelism;
import io.srwmspark.workers.bench.Timing;
import io.srwmspark.workers.concurrent.LoopTeam;
import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.fewshot.Adam;
import io.srwmspark.workers.fewshot.AllReduceRound;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotData;
import io.srwmspark.workers.fewshot.FewShotModel;
import io.srwmspark.workers.fewshot.FewShotSetup;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.rng.Seeds;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./srwm bench spark}: data-parallel steps on Spark local[1] and local[2]. */
@Command(name = "spark", mixinStandardHelpOptions = true,
        description = {"Times synchronous data-parallel training steps on Spark local[1] (1 partition) and local[2]",
            "(2 partitions), each in its own fresh JVM: steps/s, the scaling efficiency E(2) = thr(2) / (2 thr(1)),",
            "and the share of the step spent outside executor compute. Each task owns one core (spark.task.cpus = 1).",
            "After warming up, the two JVMs take turns of --chunk timed steps, so that a change in the host's speed",
            "during the run touches both alike; between turns the host's own two-thread scaling is probed."})
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
            + " compiled for <= 2%% of the wall time and the process touched <= " + SETTLE_FAULTS + " new pages"
            + " per step")
    int maxWarmup;

    @Option(names = "--steps", defaultValue = "40", paramLabel = "N", description = "timed steps per master"
            + " (default: ${DEFAULT-VALUE}; the median is reported)")
    int steps;

    @Option(names = "--chunk", defaultValue = "4", paramLabel = "N", description = "timed steps per turn of a"
            + " master (default: ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--allreduce-steps", paramLabel = "K", description = {"time rounds of K exact steps per Spark"
        + " job, the shards exchanging their sums through a reducer on the driver (train.allreduce-steps;", "default 1:"
        + " one job per step); --warmup, --max-warmup, --steps and --chunk then count rounds, and the table shows",
        "per-step means"})
    Integer allReduceSteps;

    @Option(names = "--json", description = "one JSON object")
    boolean json;

    @Option(names = "--only", paramLabel = "N", hidden = true,
            description = "measure local[N] in this JVM and print one JSON row")
    Integer only;

    @Option(names = "--serve", paramLabel = "N", hidden = true,
            description = "warm local[N] up, print a JSON line, then run 'steps K' commands from standard input")
    Integer serve;

    /** Steps per timed unit: 1, or the steps of an all-reduce round. */
    private int rounds = 1;

    static final int SETTLE_WINDOW = 10;
    static final int SETTLE_FAULTS = 256;
    /** Seconds between the untimed steps that keep local[1]'s task thread alive (Spark's idle limit is 60 s). */
    static final int KEEP_ALIVE_SECONDS = 20;

    /** FMA steps of one host probe: ~5 ms on one core of the project's machine. */
    static final int PROBE_ITERATIONS = 4_000_000;

    /**
     * Median step ms, the mean share of the step outside the slowest shard's compute, mean ms of the slowest
     * shard's compute and of the broadcast, the JVM's mean MB allocated, ms of collection pauses and minor page
     * faults per step (a JVM whose collector keeps returning heap to the OS and taking it back faults thousands of
     * times per step), the loop chunks a task ran for another task of its step per step ({@link LoopTeam}), and
     * the warm-up steps run (and whether the JVM settled in them).
     */
    record Row(int threads, double stepMs, double overhead, double computeMs, double broadcastMs, double allocMb,
            double gcMs, double faults, double lent, int warmupSteps, boolean settled) {
    }

    /**
     * Per timed step: wall ms, share outside compute, slowest shard ms, broadcast ms, MB allocated, GC ms, minor
     * page faults, chunks lent.
     */
    static final class Samples {
        static final int FIELDS = 8;
        final List<double[]> steps = new ArrayList<>();

        void add(double... step) {
            if (step.length != FIELDS) {
                throw new IllegalArgumentException("a step sample has " + FIELDS + " fields, got " + step.length);
            }
            steps.add(step);
        }

        void addAll(JsonNode chunk) {
            for (JsonNode s : chunk.get("steps")) {
                double[] v = new double[FIELDS];
                for (int k = 0; k < FIELDS; k++) {
                    v[k] = s.get(k).asDouble();
                }
                add(v);
            }
        }

        String json() {
            StringBuilder b = new StringBuilder("{\"steps\":[");
            for (int i = 0; i < steps.size(); i++) {
                double[] s = steps.get(i);
                b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "[%.3f,%.5f,%.3f,%.3f,%.3f,%.3f,%.0f,%.1f]",
                        s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]));
            }
            return b.append("]}").toString();
        }

        Row row(int threads, int warmupSteps, boolean settled) {
            double[] ms = steps.stream().mapToDouble(s -> s[0]).toArray();
            return new Row(threads, new Timing(ms).medianMs(), mean(1), mean(2), mean(3), mean(4), mean(5),
                    mean(6), mean(7), warmupSteps, settled);
        }

        private double mean(int k) {
            return steps.stream().mapToDouble(s -> s[k]).average().orElseThrow();
        }
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (batch < 2) {
            throw new IllegalArgumentException("--batch must be >= 2, got " + batch);
        }
        if (warmup < 0 || maxWarmup < warmup || steps < 1 || chunk < 1) {
            throw new IllegalArgumentException("need 0 <= --warmup <= --max-warmup, --steps >= 1 and --chunk >= 1,"
                    + " got --warmup " + warmup + ", --max-warmup " + maxWarmup + ", --steps " + steps + ", --chunk "
                    + chunk);
        }
        if (allReduceSteps != null) {
            sets.add("train.allreduce-steps=" + allReduceSteps);         // the forked JVMs get it with the --set's
        }
        List<String> all = new ArrayList<>(sets);
        all.add("train.batch=" + batch);
        Conf conf = RunFiles.config(config).with(all);
        FewShotConfig cfg = FewShotConfig.from(conf);
        if (cfg.distributed().dl4jAveraging() || cfg.distributed().localSteps() != 1) {
            throw new IllegalArgumentException("bench spark times exact steps (train.strategy = exact, "
                    + "train.local-steps = 1); got train.strategy = " + cfg.distributed().strategy()
                    + ", train.local-steps = " + cfg.distributed().localSteps());
        }
        rounds = cfg.distributed().allReduceSteps();
        if (only == null && serve == null) {
            return compare();
        }
        PrintWriter err = spec.commandLine().getErr();
        FewShotData data = FewShotData.load(cfg, RunFiles.dataCache(), msg -> err.println("srwm: " + msg));
        String shipped = RunFiles.forExecutors(conf, data);
        FewShotModel model = FewShotSetup.model(cfg, data.train().channels(), data.train().height(),
                data.train().width());
        int threads = only != null ? only : serve;
        SparkConf base = new SparkConf().set("spark.ui.enabled", "false");
        try (JavaSparkContext sc = new JavaSparkContext(SparkSetup.conf(base, "srwm bench spark", "local[" + threads
                + "]"))) {
            Session session = new Session(sc, cfg, shipped, model, threads);
            try {
                return serve(session, threads);
            } finally {
                session.grads.close();
            }
        }
    }

    /** Warms {@code session} up, then answers --only or the --serve commands. */
    private int serve(Session session, int threads) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        session.warmUp();
        if (only != null) {
            Row r = session.timed(steps).row(threads, session.warm, session.settled);
            out.println(String.format(Locale.ROOT, "{\"threads\":%d,\"allreduce_steps\":%d,\"step_ms\":%.3f,"
                    + "\"overhead\":%.5f,\"compute_ms\":%.3f,\"broadcast_ms\":%.3f,\"alloc_mb\":%.1f,\"gc_ms\":%.2f,"
                    + "\"faults\":%.0f,\"lent_chunks\":%.1f,\"warmup_steps\":%d,\"settled\":%b}", r.threads(), rounds,
                    r.stepMs(), r.overhead(), r.computeMs(), r.broadcastMs(), r.allocMb(), r.gcMs(), r.faults(), r.lent(),
                    r.warmupSteps(),
                    r.settled()));
            out.flush();
            return 0;
        }
        out.println(String.format(Locale.ROOT, "{\"threads\":%d,\"warmup_steps\":%d,\"settled\":%b}", threads,
                session.warm, session.settled));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null && !line.isBlank() && !line.trim().equals("quit");
                line = in.readLine()) {
            String[] cmd = line.trim().split("\\s+");
            if (cmd.length != 2 || !cmd[0].equals("steps")) {
                throw new IllegalArgumentException("bench spark --serve: expected 'steps K' or 'quit', got '"
                        + line + "'");
            }
            out.println(session.timed(Integer.parseInt(cmd[1])).json());
            out.flush();
        }
        return 0;
    }

    /**
     * One master's SparkContext, model and parameters, and its warm-up state. A unit of work is one step (the
     * gradient at fixed parameters) or, with all-reduce rounds, one round of {@link #rounds} steps (with Adam).
     */
    private final class Session {
        private final SparkStepGradients grads;
        private final INDArray params;
        private final Adam.Settings adamSettings;
        private float[] p;
        private Adam adam;
        private long step;
        private int warm;
        private boolean settled;

        Session(JavaSparkContext sc, FewShotConfig cfg, String shipped, FewShotModel model, int threads) {
            int size = Math.toIntExact(model.layout().size());
            this.grads = new SparkStepGradients(sc, shipped, cfg.train().batch(), threads, size,
                    "bench local[" + threads + "]");
            this.params = model.init(DataType.FLOAT, Seeds.derive(cfg.train().seed(), FewShotTrainer.STREAM_INIT));
            this.adamSettings = cfg.train().adam();
            this.p = params.data().asFloat();
            this.adam = new Adam(adamSettings, size);
        }

        /** One unit of work; returns the nanoseconds the slowest shard computed in it. */
        private long unit() {
            if (rounds == 1) {
                return grads.compute(step++, params).maxShardNanos();
            }
            AllReduceRound r = grads.allReduceRound(step, rounds, p, adam);
            p = r.params();
            adam = new Adam(adamSettings, r.firstMoment(), r.secondMoment(), adam.step() + rounds);
            step += rounds;
            return r.computeNanos();
        }

        void warmUp() {
            // the limit is per step: a round of K steps may touch K times as many new pages
            Settling settling = new Settling(SETTLE_WINDOW, 0.02, (long) SETTLE_FAULTS * rounds);
            while (warm < maxWarmup && !(warm >= warmup && settled)) {
                unit();
                warm++;
                settling.step();
                settled = settling.settled();
            }
        }

        /** {@code count} units, each recorded as per-step means. */
        Samples timed(int count) {
            Samples out = new Samples();
            for (int s = 0; s < count; s++) {
                long bytes0 = JvmCounters.allocatedBytes();
                long gc0 = JvmCounters.collectionMillis();
                long faults0 = JvmCounters.minorFaults();
                long lent0 = LoopTeam.lentTotal();
                long t0 = System.nanoTime();
                long compute = unit();
                long took = System.nanoTime() - t0;
                double n = rounds;
                out.add(took / 1e6 / n, 1 - compute / (double) took, compute / 1e6 / n,
                        grads.lastTiming().broadcastNanos() / 1e6 / n,
                        Math.max(0, JvmCounters.allocatedBytes() - bytes0) / 1e6 / n,
                        (JvmCounters.collectionMillis() - gc0) / n, (JvmCounters.minorFaults() - faults0) / n,
                        (LoopTeam.lentTotal() - lent0) / n);
            }
            return out;
        }
    }

    /** Both masters in their own JVMs, taking turns; prints the table or the JSON object. */
    private int compare() throws IOException, InterruptedException {
        Samples[] samples = {new Samples(), new Samples()};
        List<Double> host = new ArrayList<>();
        ExecutorService two = Executors.newFixedThreadPool(2);
        try (Child one = new Child(1); Child pair = new Child(2)) {
            one.start();
            // local[2] warms up after local[1] (the two never overlap in the warm-ups), which takes minutes.
            // Spark's executor task threads exit after 60 s idle, and a local[1] JVM left idle for 200 s faulted
            // 37,000 times on its next step and 100-700 times per step after (0-6 without the idle): so local[1]
            // takes one untimed step every KEEP_ALIVE_SECONDS while local[2] warms up.
            Thread keepAlive = new Thread(() -> keepAlive(one), "bench-spark-keep-alive");
            keepAlive.setDaemon(true);
            keepAlive.start();
            try {
                pair.start();
            } finally {
                keepAlive.interrupt();
                keepAlive.join();
            }
            Child[] children = {one, pair};
            int done = 0;
            for (int turn = 0; done < steps; turn++) {
                int k = Math.min(chunk, steps - done);
                for (int c = 0; c < 2; c++) {
                    int i = (turn % 2 == 0) ? c : 1 - c;                      // alternate who goes first
                    samples[i].addAll(children[i].steps(k));
                }
                host.add(HostParallelism.efficiency(two, PROBE_ITERATIONS));
                done += k;
            }
            Row r1 = samples[0].row(1, one.warmupSteps, one.settled);
            Row r2 = samples[1].row(2, pair.warmupSteps, pair.settled);
            double[] h = host.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            print(r1, r2, h);
        } finally {
            two.shutdownNow();
        }
        return 0;
    }

    /** One untimed step of {@code child} every {@value #KEEP_ALIVE_SECONDS} s until interrupted. */
    private static void keepAlive(Child child) {
        try {
            while (true) {
                Thread.sleep(KEEP_ALIVE_SECONDS * 1000L);
                child.steps(1);
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (IOException ex) {
            throw new java.io.UncheckedIOException("keeping local[1] warm while local[2] warms up", ex);
        }
    }

    /** Prints the two masters' rows, E(2) and the host probes' readings ({@code host}, sorted). */
    private void print(Row one, Row two, double[] host) {
        double efficiency = (1000 / two.stepMs()) / (2 * (1000 / one.stepMs()));
        PrintWriter out = spec.commandLine().getOut();
        double hostMedian = host[host.length / 2];
        if (json) {
            out.println(String.format(Locale.ROOT, "{\"batch\":%d,\"allreduce_steps\":%d,\"steps_per_s_1\":%.3f,\"steps_per_s_2\":%.3f,"
                    + "\"efficiency_2\":%.3f,\"overhead_1\":%.3f,\"overhead_2\":%.3f,\"compute_ms_2\":%.1f,"
                    + "\"alloc_mb_1\":%.1f,\"alloc_mb_2\":%.1f,\"gc_ms_1\":%.2f,\"gc_ms_2\":%.2f,"
                    + "\"faults_1\":%.0f,\"faults_2\":%.0f,\"lent_chunks_2\":%.1f,"
                    + "\"warmup_steps_1\":%d,\"warmup_steps_2\":%d,\"settled\":%b,\"host_efficiency_2\":%.3f,"
                    + "\"host_efficiency_2_min\":%.3f,\"host_efficiency_2_max\":%.3f}", batch, rounds, 1000 / one.stepMs(),
                    1000 / two.stepMs(), efficiency, one.overhead(), two.overhead(), two.computeMs(), one.allocMb(),
                    two.allocMb(), one.gcMs(), two.gcMs(), one.faults(), two.faults(), two.lent(), one.warmupSteps(),
                    two.warmupSteps(), one.settled() && two.settled(), hostMedian, host[0], host[host.length - 1]));
        } else {
            String unit = rounds == 1 ? "steps" : "all-reduce rounds of " + rounds + " steps";
            out.printf(Locale.ROOT, "%s, batch %d, %d timed %s per master (median) in turns of %d, after %d..%d"
                    + " warm-up %s%s%n", config, batch, steps, unit, chunk, warmup, maxWarmup, rounds == 1 ? "steps"
                    : "rounds", rounds == 1 ? "" : "; per-step means of each round below");
            out.printf(Locale.ROOT, "%-10s %9s %8s %15s %13s %16s %14s %11s %12s %12s %18s%n", "master", "step ms",
                    "steps/s", "shard ms (max)", "broadcast ms", "outside compute", "MB alloc/step", "GC ms/step",
                    "faults/step", "lent/step", rounds == 1 ? "warm-up steps" : "warm-up rounds");
            for (Row r : new Row[] {one, two}) {
                out.printf(Locale.ROOT, "%-10s %9.1f %8.2f %15.1f %13.1f %15.1f%% %14.1f %11.2f %12.0f %12.1f %18s%n",
                        "local[" + r.threads() + "]", r.stepMs(), 1000 / r.stepMs(), r.computeMs(), r.broadcastMs(),
                        100 * r.overhead(), r.allocMb(), r.gcMs(), r.faults(), r.lent(),
                        r.warmupSteps() + (r.settled() ? " (settled)" : " (unsettled)"));
            }
            out.printf(Locale.ROOT, "E(2) = thr(2) / (2 thr(1)) = %.3f%n", efficiency);
            out.printf(Locale.ROOT, "host: two threads of vector FMAs ran at %.2f of twice one thread's rate (median of"
                    + " %d probes between turns, %.2f..%.2f)%n", hostMedian, host.length, host[0], host[host.length - 1]);
        }
        out.flush();
    }

    /**
     * local[N] served by a fresh JVM where every task computes on one thread (its kernels inline, ND4J on one
     * OpenMP thread), as on an executor with {@code spark.task.cpus = 1}: local[1] uses one core and local[2] two.
     */
    private final class Child implements AutoCloseable {
        private final int threads;
        private Process process;
        private BufferedReader from;
        private PrintWriter to;
        private final StringBuilder seen = new StringBuilder();
        private java.nio.file.Path log;
        int warmupSteps;
        boolean settled;

        Child(int threads) {
            this.threads = threads;
        }

        /** Starts the JVM and waits until it has warmed up. */
        void start() throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (!a.startsWith("-Dsrwm.cpu.threads")) {
                    cmd.add(a);
                }
            }
            cmd.add("-Dsrwm.cpu.threads=1");                            // each task owns one core
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SrwmCli.class.getName(), "bench",
                    "spark", "--config", config, "--warmup", Integer.toString(warmup), "--max-warmup",
                    Integer.toString(maxWarmup), "--batch", Integer.toString(batch), "--serve",
                    Integer.toString(threads)));
            for (String s : sets) {
                cmd.addAll(List.of("--set", s));
            }
            log = java.nio.file.Files.createTempFile("srwm-bench-spark-local" + threads + "-", ".log");
            log.toFile().deleteOnExit();
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
            pb.environment().put("OMP_NUM_THREADS", "1");               // ND4J too: the tasks fill the cores
            process = pb.start();
            from = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            to = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            JsonNode ready = next();
            warmupSteps = ready.get("warmup_steps").asInt();
            settled = ready.get("settled").asBoolean();
        }

        JsonNode steps(int k) throws IOException {
            to.println("steps " + k);
            return next();
        }

        private JsonNode next() throws IOException {
            for (String line = from.readLine(); line != null; line = from.readLine()) {
                if (line.startsWith("{")) {
                    return new ObjectMapper().readTree(line);
                }
                seen.append(line).append('\n');
            }
            int code;
            try {
                code = process.waitFor();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                code = -1;
            }
            List<String> err = java.nio.file.Files.readAllLines(log, StandardCharsets.UTF_8);
            throw new IllegalStateException("forked bench of local[" + threads + "] ended (exit " + code + "): "
                    + seen + String.join("\n", err.subList(Math.max(0, err.size() - 20), err.size())));
        }

        @Override
        public void close() {
            if (process == null) {
                return;
            }
            to.println("quit");
            try {
                if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException ex) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            try {
                java.nio.file.Files.deleteIfExists(log);
            } catch (IOException ex) {
                // a temporary file; deleteOnExit tries again
            }
        }
    }
}
