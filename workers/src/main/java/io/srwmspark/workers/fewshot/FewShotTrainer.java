package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.report.LearningCurve;
import io.srwmspark.workers.rng.Seeds;
import io.srwmspark.workers.store.CheckpointFiles;
import io.srwmspark.workers.store.MetricsFile;
import io.srwmspark.workers.store.RunStore;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Single-machine training: Adam steps over batches of episodes, validation every k steps keeping the best
 * parameters, checkpoints, {@code metrics.csv} and a learning-curve PNG in the run folder.
 *
 * <p>Step s uses the global episodes s B .. s B + B - 1 of the training sampler (seeded from the run seed),
 * and the loss is the mean over the scored steps of the whole batch, so a data-parallel run that splits
 * those episodes over shards and sums the shards' gradients computes the same update.
 */
public final class FewShotTrainer {

    /** Receives progress as training goes. */
    public interface Progress {
        void step(long step, long total, double loss, double accuracy, double stepsPerSecond, double seconds);

        void validation(long step, double accuracy, double ci95, boolean best);

        /** Where the time of the recent steps went. */
        default void timing(long step, StepTimes times) {
        }
    }

    /**
     * @param step        steps done
     * @param seconds     wall time of training (validation included)
     * @param bestStep    step of the best validation accuracy
     * @param bestVal     best validation accuracy
     * @param bestParams  parameters at that step
     * @param lastParams  parameters at the end
     */
    public record Outcome(long step, double seconds, long bestStep, double bestVal, INDArray bestParams,
            INDArray lastParams) {
    }

    /** Seed streams of a run: derived from the run seed by a fixed name each. */
    public static final long STREAM_INIT = 10;
    public static final long STREAM_TRAIN_EPISODES = 11;
    public static final long STREAM_VAL_EPISODES = 12;
    public static final long STREAM_STEP = 13;
    public static final long STREAM_TEST_EPISODES = 14;

    private FewShotTrainer() {
    }

    /** The episodes of validation and test: the training spec, scored one query at a time when synchronous. */
    public static EpisodeSpec evalSpec(EpisodeSpec train) {
        return train.setting() == EpisodeSpec.LabelSetting.SYNCHRONOUS
                ? new EpisodeSpec(train.ways(), train.shots(), 1, train.setting()) : train;
    }

    /**
     * Trains from scratch or from {@code resume}.
     *
     * @param meta provenance written into every checkpoint (config, dataset, code version)
     */
    public static Outcome train(FewShotConfig cfg, FewShotModel model, ClassImages trainSplit, ClassImages valSplit,
            RunStore run, Checkpoint resume, Map<String, String> meta, Progress progress) throws IOException {
        return train(cfg, model, local(cfg, model, trainSplit), valSplit, run, resume, meta, progress);
    }

    /** Where a step's gradient comes from: this JVM, or shards of the step's episodes on Spark executors. */
    public interface StepGradients {
        /** The gradient sum of step {@code step}'s global batch at {@code params} (1, P). */
        GradientSum compute(long step, INDArray params);

        /** Timing of the last {@link #compute} or {@link #round} beyond the shards' own compute time, if known. */
        default StepTiming lastTiming() {
            return null;
        }

        /**
         * Whether {@link #round} runs rounds of {@code train.local-steps} over several shards. If not (one JVM: a
         * round over the whole batch is exactly K steps), the trainer takes exact steps.
         */
        default boolean roundsOverShards() {
            return false;
        }

        /**
         * A round of {@code k} local steps from {@code step} on every shard, starting at {@code params} and the
         * state of {@code adam}, averaged over the shards ({@link LocalRound}).
         */
        default LocalRound round(long step, int k, float[] params, Adam adam) {
            throw new UnsupportedOperationException("this gradient source takes exact steps only");
        }

        /**
         * {@code k} exact steps from {@code step} in one round, the shards exchanging their gradient sums
         * ({@link AllReduceRound}); only called when {@link #roundsOverShards}.
         */
        default AllReduceRound allReduceRound(long step, int k, float[] params, Adam adam) {
            throw new UnsupportedOperationException("this gradient source takes one step at a time");
        }
    }

    /** What a round of several steps on the shards ends with. */
    public interface Round {
        /** Parameters after the round (a copy). */
        float[] params();

        /** Adam's first moments after the round (a copy). */
        float[] firstMoment();

        /** Adam's second moments after the round (a copy). */
        float[] secondMoment();

        /** Mean training loss over the round's steps. */
        double meanLoss();

        /** Training accuracy over the round's steps. */
        double accuracy();

        /** Compute time that no parallelism hid (the slowest shard's), over the round. */
        long computeNanos();
    }

    /**
     * Where the last step's time went besides the shards' compute.
     *
     * @param broadcastNanos shipping the parameters (broadcast and its destruction)
     */
    public record StepTiming(long broadcastNanos) {
    }

    /**
     * Mean milliseconds per step over a reporting window.
     *
     * @param step      the whole step (gradients and update)
     * @param compute   the slowest shard's gradient computation (episodes, forward, backward)
     * @param broadcast shipping the parameters to the executors
     * @param aggregate the rest of the gradient phase: task scheduling, serialization, {@code treeAggregate}
     * @param update    the optimizer step on the driver
     */
    public record StepTimes(double step, double compute, double broadcast, double aggregate, double update) {

        /** Share of the step outside executor compute. */
        public double overhead() {
            return step <= 0 ? 0 : 1 - compute / step;
        }
    }

    /** The global batch of step s on this machine: episodes s B .. s B + B - 1 in one pass. */
    public static StepGradients local(FewShotConfig cfg, FewShotModel model, ClassImages trainSplit) {
        return (step, params) -> shard(cfg, model, trainSplit, step, params, 0, cfg.train().batch());
    }

    /**
     * The part of step {@code step} made of its episodes {@code from .. to - 1} (0 &lt;= from &lt;= to &lt;= B): what
     * one data-parallel shard computes. Shards of a partition of [0, B) sum to {@link #local}'s gradient.
     */
    public static GradientSum shard(FewShotConfig cfg, FewShotModel model, ClassImages trainSplit, long step,
            INDArray params, int from, int to) {
        return shard(cfg, model, trainSplit, step, params, from, to, false);
    }

    /**
     * As {@link #shard}, but the gradient of the mean loss over the shard's own scored steps (a local step of
     * {@link LocalRound}); for the whole batch the same as {@link #shard}.
     */
    static GradientSum shardOwnMean(FewShotConfig cfg, FewShotModel model, ClassImages trainSplit, long step,
            INDArray params, int from, int to) {
        return shard(cfg, model, trainSplit, step, params, from, to, true);
    }

    private static GradientSum shard(FewShotConfig cfg, FewShotModel model, ClassImages trainSplit, long step,
            INDArray params, int from, int to, boolean ownMean) {
        FewShotConfig.Train t = cfg.train();
        EpisodeSource sampler = curriculum(cfg, trainSplit, step, model.ways());
        double normalizer = ownMean ? sampler.scoredIn(step * t.batch() + from, to - from)
                : sampler.scoredIn(step * t.batch(), t.batch());
        return new GradientSum(Math.toIntExact(model.layout().size())).add(model, params, sampler,
                step * t.batch() + from, to - from, normalizer, Seeds.derive(t.seed(), STREAM_STEP, step));
    }

    /**
     * Trains with the step gradients of {@code gradients} (this JVM, or Spark). With {@code train.local-steps}
     * K &gt; 1 and a source that shards ({@link StepGradients#roundsOverShards}) it takes rounds of K local steps
     * per shard instead ({@link LocalRound}, not exact); validation and checkpoints then fall on round ends. With
     * {@code train.allreduce-steps} K &gt; 1 it takes rounds of up to K exact steps ({@link AllReduceRound}) that
     * end where validation falls, so validation and checkpoints come at the same steps as one step at a time.
     */
    public static Outcome train(FewShotConfig cfg, FewShotModel model, StepGradients gradients, ClassImages valSplit,
            RunStore run, Checkpoint resume, Map<String, String> meta, Progress progress) throws IOException {
        FewShotConfig.Train t = cfg.train();
        long seed = t.seed();
        CheckpointFiles ckpts = new CheckpointFiles(run, t.keepLast());
        EpisodeSource validator = Episodes.source(cfg, valSplit, evalSpec(cfg.episode()),
                Seeds.derive(seed, STREAM_VAL_EPISODES), model.ways(), t.batch());
        int size = Math.toIntExact(model.layout().size());
        float[] p;
        Adam adam;
        long start;
        double bestVal = Double.NEGATIVE_INFINITY;
        long bestStep = 0;
        float[] best;
        if (resume != null) {
            if (resume.params().length != size) {
                throw new IllegalArgumentException("checkpoint has " + resume.params().length
                        + " parameters, the configured model " + size);
            }
            p = resume.params().clone();
            adam = new Adam(t.adam(), resume.adamM(), resume.adamV(), resume.step());
            start = resume.step();
            best = p.clone();
            if (resume.meta("best.val") != null) {
                bestVal = Double.parseDouble(resume.meta("best.val"));
                bestStep = Long.parseLong(resume.meta().getOrDefault("best.step", "0"));
                if (run.exists(CheckpointFiles.name("best", bestStep))) {
                    best = ckpts.read(CheckpointFiles.name("best", bestStep)).params();
                }
            }
        } else {
            p = model.init(DataType.FLOAT, Seeds.derive(seed, STREAM_INIT)).data().asFloat();
            adam = new Adam(t.adam(), size);
            start = 0;
            best = p.clone();
        }
        INDArray params = Nd4j.create(Nd4j.createBuffer(p.clone()), new long[] {1, size});
        MetricsFile metrics = new MetricsFile(run, METRICS_HEADER, resume == null ? -1 : start);
        long t0 = System.nanoTime();
        double deadline = t.minutes() > 0 ? t.minutes() * 60 : Double.POSITIVE_INFINITY;
        List<double[]> curve = new ArrayList<>();
        long step = start;
        double lossAcc = 0;
        double accAcc = 0;
        int window = 0;
        long[] times = new long[5];                     // step, compute, broadcast, aggregate, update (ns)
        long windowStart = System.nanoTime();
        boolean local = cfg.distributed().localSteps() > 1 && gradients.roundsOverShards();
        boolean allReduce = cfg.distributed().allReduceSteps() > 1 && gradients.roundsOverShards();
        while (step < t.steps()) {
            double elapsed = (System.nanoTime() - t0) / 1e9;
            if (elapsed >= deadline) {
                break;
            }
            int k = local ? (int) Math.min(cfg.distributed().localSteps(), t.steps() - step)
                    : allReduce ? (int) Math.min(Math.min(cfg.distributed().allReduceSteps(), t.steps() - step),
                            t.valEvery() - step % t.valEvery()) : 1;
            long s0 = System.nanoTime();
            long s1;
            long compute;
            double loss;
            double accuracy;
            if (local || allReduce) {
                Round r = local ? gradients.round(step, k, p, adam) : gradients.allReduceRound(step, k, p, adam);
                s1 = System.nanoTime();
                p = r.params();
                adam = new Adam(t.adam(), r.firstMoment(), r.secondMoment(), adam.step() + k);
                compute = r.computeNanos();
                loss = r.meanLoss();
                accuracy = r.accuracy();
            } else {
                GradientSum g = gradients.compute(step, params);
                s1 = System.nanoTime();
                adam.apply(p, g.gradient());
                compute = g.maxShardNanos();
                loss = g.meanLoss();
                accuracy = g.accuracy();
            }
            params.data().asNioFloat().put(0, p);
            long s2 = System.nanoTime();
            StepTiming st = gradients.lastTiming();
            long broadcast = st == null ? 0 : st.broadcastNanos();
            times[0] += s2 - s0;
            times[1] += compute;
            times[2] += broadcast;
            times[3] += Math.max(0, s1 - s0 - compute - broadcast);
            times[4] += s2 - s1;
            long before = step;
            step += k;
            lossAcc += loss * k;
            accAcc += accuracy * k;
            window += k;
            boolean validate = step / t.valEvery() != before / t.valEvery() || step == t.steps();
            double secs = (System.nanoTime() - t0) / 1e9;
            boolean report = window >= 10 || validate || secs >= deadline;
            if (report) {
                double rate = window / ((System.nanoTime() - windowStart) / 1e9);
                progress.step(step, t.steps(), lossAcc / window, accAcc / window, rate, secs);
                progress.timing(step, new StepTimes(times[0] / 1e6 / window, times[1] / 1e6 / window,
                        times[2] / 1e6 / window, times[3] / 1e6 / window, times[4] / 1e6 / window));
            }
            String valCol = "";
            String ciCol = "";
            if (validate || secs >= deadline) {
                Evaluator.Report v = Evaluator.evaluate(model, params, validator, t.valEpisodes(), t.batch());
                boolean isBest = v.accuracy().mean() > bestVal;
                if (isBest) {
                    bestVal = v.accuracy().mean();
                    bestStep = step;
                    best = p.clone();
                }
                progress.validation(step, v.accuracy().mean(), v.accuracy().ci95(), isBest);
                valCol = fmt(v.accuracy().mean());
                ciCol = fmt(v.accuracy().ci95());
                curve.add(new double[] {secs / 60, v.accuracy().mean(), accAcc / Math.max(1, window)});
                Map<String, String> m = new HashMap<>(meta);
                m.put("best.val", Double.toString(bestVal));
                m.put("best.step", Long.toString(bestStep));
                ckpts.save(new Checkpoint(step, p, adam.firstMoment(), adam.secondMoment(), m), isBest);
            }
            if (report) {
                metrics.add(step + "," + fmt(lossAcc / window) + "," + fmt(accAcc / window) + "," + valCol + ","
                        + ciCol + "," + fmt((System.nanoTime() - t0) / 1e9) + "," + ms(times[0], window) + ","
                        + ms(times[1], window) + "," + ms(times[2], window) + "," + ms(times[3], window) + ","
                        + ms(times[4], window), !valCol.isEmpty());
                lossAcc = 0;
                accAcc = 0;
                window = 0;
                java.util.Arrays.fill(times, 0);
                windowStart = System.nanoTime();
            }
        }
        metrics.flush();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!curve.isEmpty()) {
            double[] x = curve.stream().mapToDouble(c -> c[0]).toArray();
            run.writeBytes(CURVE, LearningCurve.png("few-shot training", "minutes", "accuracy",
                    List.of(new LearningCurve.Series("validation", new Color(31, 119, 180), x,
                                    curve.stream().mapToDouble(c -> c[1]).toArray()),
                            new LearningCurve.Series("train (recent steps)", new Color(255, 127, 14), x,
                                    curve.stream().mapToDouble(c -> c[2]).toArray()))));
        }
        INDArray bestArr = Nd4j.create(Nd4j.createBuffer(best), new long[] {1, size});
        return new Outcome(step, seconds, bestStep, bestVal, bestArr, params);
    }

    /** Files of a run folder besides its checkpoints. */
    public static final String METRICS = MetricsFile.NAME;
    public static final String CURVE = "learning-curve.png";
    static final String METRICS_HEADER = "step,loss,train_acc,val_acc,val_ci95,wall_s,step_ms,compute_ms,broadcast_ms,"
            + "aggregate_ms,update_ms";

    private static String ms(long nanos, int window) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6 / window);
    }

    /**
     * The sampler of step {@code step}: the configured one, or with a curriculum over N
     * ({@code train.curriculum} = S &gt; 0) 2-way episodes first and one way more every S steps up to N.
     */
    private static EpisodeSource curriculum(FewShotConfig cfg, ClassImages split, long step, int labelWidth) {
        EpisodeSpec e = cfg.episode();
        int s = cfg.train().curriculum();
        int ways = s <= 0 ? e.ways() : (int) Math.min(e.ways(), 2 + step / s);
        return Episodes.source(cfg, split, new EpisodeSpec(ways, e.shots(), e.queries(), e.setting()),
                Seeds.derive(cfg.train().seed(), STREAM_TRAIN_EPISODES), labelWidth, cfg.train().batch());
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.5f", v);
    }

    /** Reads and verifies a checkpoint file on the local disk. */
    public static Checkpoint readCheckpoint(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return Checkpoint.read(in, file.toString());
        }
    }
}
