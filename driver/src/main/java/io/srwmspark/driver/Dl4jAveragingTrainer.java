package io.srwmspark.driver;

import io.srwmspark.workers.dl4j.FewShotGraph;
import io.srwmspark.workers.dl4j.GraphEvaluator;
import io.srwmspark.workers.dl4j.GraphFile;
import io.srwmspark.workers.dl4j.GraphState;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.fewshot.ClassImages;
import io.srwmspark.workers.fewshot.EpisodeSource;
import io.srwmspark.workers.fewshot.Episodes;
import io.srwmspark.workers.fewshot.Evaluator;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.report.LearningCurve;
import io.srwmspark.workers.rng.Seeds;
import io.srwmspark.workers.store.CheckpointFiles;
import io.srwmspark.workers.store.MetricsFile;
import io.srwmspark.workers.store.RunStore;
import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Strategy {@code dl4j-averaging} (docs/distributed.md): the few-shot model as a DL4J {@link ComputationGraph}
 * ({@link FewShotGraph}) trained with dl4j-spark's {@link ParameterAveragingTrainingMaster}.
 *
 * <p>One round: the driver broadcasts parameters and Adam state; each of the W workers takes
 * {@code averagingFrequency} local Adam steps on minibatches of {@code train.batch / W} episodes; the driver
 * averages the workers' parameters and Adam states. Round r uses the training episodes
 * {@code r G .. r G + G - 1}, G = {@code train.batch x averagingFrequency}, built on the executors from the run's
 * episode stream (the exact strategy's episodes, same seed and indices); which worker gets which episodes
 * is up to dl4j-spark. "Steps" count local steps of a worker (each over B/W episodes, B episodes across the
 * workers), so a step consumes as many episodes as an exact step.
 *
 * <p>Validation (the project's protocol, {@link GraphEvaluator} with DL4J's running batch-norm statistics)
 * every {@code train.val-every} steps, rounded up to whole rounds, and when the wall-clock budget ends; the
 * best graph is kept. Files, in a run folder on a local disk or any Hadoop URI: checkpoints in the project's
 * format ({@link GraphState}, {@link CheckpointFiles}: {@code step-<N>.ckpt}, {@code best-<N>.ckpt}, verified
 * on load, for {@code --resume}, evaluation and export), {@code best.zip} and {@code last.zip} (DL4J
 * ModelSerializer, with the Adam state and the run's effective configuration, {@link GraphFile}),
 * {@code metrics.csv}, {@code learning-curve.png}.
 */
public final class Dl4jAveragingTrainer {

    /** The best validation graph of a run. */
    public static final String BEST = "best.zip";
    /** The graph at the newest validation of a run. */
    public static final String LAST = "last.zip";
    /** Checkpoint metadata key: averaging rounds done. */
    public static final String ROUNDS = "dl4j.rounds";

    private static final String METRICS_HEADER = "step,loss,train_acc,val_acc,val_ci95,wall_s";

    /**
     * @param step      local steps done (rounds x averaging frequency)
     * @param rounds    averaging rounds done
     * @param seconds   wall time of training (validation included)
     * @param bestStep  step of the best validation accuracy
     * @param bestVal   best validation accuracy
     * @param best      the graph at that step
     */
    public record Outcome(long step, long rounds, double seconds, long bestStep, double bestVal,
            ComputationGraph best) {
    }

    private Dl4jAveragingTrainer() {
    }

    /**
     * Episodes per worker minibatch: {@code batch / workers}.
     *
     * @throws IllegalArgumentException unless {@code workers} divides {@code batch}
     */
    public static int batchPerWorker(int batch, int workers) {
        if (workers < 1 || batch % workers != 0) {
            throw new IllegalArgumentException("train.batch = " + batch + " must be a multiple of the " + workers
                    + " workers (--partitions) for train.strategy = dl4j-averaging: each worker's minibatch is "
                    + "train.batch / workers episodes");
        }
        return batch / workers;
    }

    /**
     * Trains from scratch, or continues from {@code resume}.
     *
     * <p>At every validation the run folder gets a checkpoint ({@code step-<N>.ckpt}, the last
     * {@code train.keep-last} kept, and {@code best-<N>.ckpt} for the best validation accuracy; the project's
     * format, {@link GraphState}) and the DL4J zips {@value #BEST} and {@value #LAST}. Round r of a run starts at
     * training episode {@code step x train.batch}, so a resumed run consumes the episodes the uninterrupted one
     * would have.
     *
     * @param configText the run's effective configuration with {@code data.path} resolved (shipped to executors)
     * @param workers    W, parallel workers (Spark partitions per round)
     * @param val        validation classes (read on the driver)
     * @param run        the run folder (local or any Hadoop URI)
     * @param resume     the checkpoint to continue from, or null
     * @param meta       provenance stored in every checkpoint (configuration, code version, dataset, ...)
     */
    public static Outcome train(JavaSparkContext sc, FewShotConfig cfg, String configText, int workers,
            ClassImages val, RunStore run, Checkpoint resume, Map<String, String> meta,
            FewShotTrainer.Progress progress) throws IOException {
        FewShotConfig.Train t = cfg.train();
        int perWorker = batchPerWorker(t.batch(), workers);
        int freq = cfg.distributed().averagingFrequency();
        boolean aux = FewShotGraph.hasAux(cfg);
        CheckpointFiles ckpts = new CheckpointFiles(run, t.keepLast());
        ComputationGraph graph = FewShotGraph.build(cfg, val.channels(), val.height(), val.width());
        long step = 0;
        long round = 0;
        double bestVal = Double.NEGATIVE_INFINITY;
        long bestStep = 0;
        ComputationGraph best;
        if (resume != null) {
            GraphState.restore(graph, resume);
            step = resume.step();
            round = Long.parseLong(resume.meta().getOrDefault(ROUNDS, "0"));
            best = graph.clone();
            if (resume.meta("best.val") != null) {
                bestVal = Double.parseDouble(resume.meta("best.val"));
                bestStep = Long.parseLong(resume.meta().getOrDefault("best.step", "0"));
                if (run.exists(CheckpointFiles.name("best", bestStep))) {
                    GraphState.restore(best, ckpts.read(CheckpointFiles.name("best", bestStep)));
                }
            }
        } else {
            best = graph.clone();
        }
        ParameterAveragingTrainingMaster tm = new ParameterAveragingTrainingMaster.Builder(workers, 1)
                .batchSizePerWorker(perWorker)
                .averagingFrequency(freq)
                .saveUpdater(true)                                   // average Adam's moments too
                .workerPrefetchNumBatches(0)
                .rddTrainingApproach(RDDTrainingApproach.Direct)     // no export of the episodes to files
                .repartionData(Repartition.NumPartitionsWorkersDiffers)
                .rngSeed(Seeds.derive(t.seed(), FewShotTrainer.STREAM_STEP))
                .build();
        SparkComputationGraph spark = new SparkComputationGraph(sc, graph, tm);
        EpisodeSource validator = Episodes.source(cfg, val, FewShotTrainer.evalSpec(cfg.episode()),
                Seeds.derive(t.seed(), FewShotTrainer.STREAM_VAL_EPISODES), cfg.episode().ways(), t.batch());
        MetricsFile metrics = new MetricsFile(run, METRICS_HEADER, resume == null ? -1 : step);
        long t0 = System.nanoTime();
        double deadline = t.minutes() > 0 ? t.minutes() * 60 : Double.POSITIVE_INFINITY;
        long nextVal = (step / t.valEvery() + 1) * t.valEvery();
        List<double[]> curve = new ArrayList<>();
        String runName = "srwm fewshot " + run.name() + " dl4j-averaging";
        while (step < t.steps() && (System.nanoTime() - t0) / 1e9 < deadline) {
            long roundStart = System.nanoTime();
            long first = step * t.batch();
            List<long[]> ranges = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                ranges.add(new long[] {first + (long) w * perWorker * freq, (long) perWorker * freq});
            }
            String conf = configText;
            sc.setJobDescription(runName + " round " + round);
            JavaRDD<MultiDataSet> episodes = sc.parallelize(ranges, workers)
                    .flatMap(r -> ExecutorState.of(conf).graphEpisodes(r[0], (int) r[1], aux).iterator());
            spark.fitMultiDataSet(episodes);
            episodes.unpersist(false);                               // dl4j-spark persists what it is given
            round++;
            step += freq;
            double secs = (System.nanoTime() - t0) / 1e9;
            double rate = freq / ((System.nanoTime() - roundStart) / 1e9);
            double loss = spark.getScore();
            progress.step(step, t.steps(), loss, Double.NaN, rate, secs);
            String valCol = "";
            String ciCol = "";
            if (step >= nextVal || step >= t.steps() || secs >= deadline) {
                nextVal = (step / t.valEvery() + 1) * t.valEvery();
                ComputationGraph net = spark.getNetwork();
                Evaluator.Report v = GraphEvaluator.evaluate(net, validator, t.valEpisodes(), t.batch(),
                        GraphEvaluator.BatchNorm.RUNNING);
                boolean isBest = v.accuracy().mean() > bestVal;
                if (isBest) {
                    bestVal = v.accuracy().mean();
                    bestStep = step;
                    best = net.clone();
                }
                Map<String, String> m = new HashMap<>(meta);
                m.put("best.val", Double.toString(bestVal));
                m.put("best.step", Long.toString(bestStep));
                m.put(ROUNDS, Long.toString(round));
                ckpts.save(GraphState.checkpoint(net, step, m), isBest);
                if (isBest) {
                    GraphFile.write(best, configText, run, BEST);
                }
                GraphFile.write(net, configText, run, LAST);
                progress.validation(step, v.accuracy().mean(), v.accuracy().ci95(), isBest);
                valCol = fmt(v.accuracy().mean());
                ciCol = fmt(v.accuracy().ci95());
                curve.add(new double[] {secs / 60, v.accuracy().mean()});
            }
            metrics.add(step + "," + fmt(loss) + ",," + valCol + "," + ciCol + ","
                    + fmt((System.nanoTime() - t0) / 1e9), !valCol.isEmpty());
        }
        metrics.flush();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!curve.isEmpty()) {
            run.writeBytes(FewShotTrainer.CURVE, LearningCurve.png("few-shot training (dl4j-averaging)", "minutes",
                    "accuracy", List.of(new LearningCurve.Series("validation", new Color(31, 119, 180),
                            curve.stream().mapToDouble(c -> c[0]).toArray(),
                            curve.stream().mapToDouble(c -> c[1]).toArray()))));
        }
        return new Outcome(step, round, seconds, bestStep, bestVal, best);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.5f", v);
    }
}
