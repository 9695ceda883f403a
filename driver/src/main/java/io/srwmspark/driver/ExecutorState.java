package io.srwmspark.driver;

import io.srwmspark.workers.concurrent.NativeAllocations;
import io.srwmspark.workers.concurrent.Parallel;
import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.dl4j.EpisodeData;
import io.srwmspark.workers.fewshot.AllReduceRound;
import io.srwmspark.workers.fewshot.ClassImages;
import io.srwmspark.workers.fewshot.EpisodeSource;
import io.srwmspark.workers.fewshot.Episodes;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotData;
import io.srwmspark.workers.fewshot.FewShotModel;
import io.srwmspark.workers.fewshot.FewShotSetup;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.fewshot.GradientSum;
import io.srwmspark.workers.fewshot.LocalRound;
import io.srwmspark.workers.rng.Seeds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an executor JVM keeps between tasks: per run configuration, the loaded training split and the built
 * model. The dataset is read once per JVM (from any Hadoop FileSystem URI), not once per task.
 */
final class ExecutorState {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorState.class);
    private static final ConcurrentMap<String, ExecutorState> STATES = new ConcurrentHashMap<>();

    private final FewShotConfig cfg;
    private final FewShotModel model;
    private final ClassImages train;

    private ExecutorState(String configText) {
        this.cfg = FewShotConfig.from(Conf.parse(configText, "run configuration"));
        if (cfg.data().path().isEmpty() || cfg.multiTask().enabled() && cfg.multiTask().data().path().isEmpty()) {
            throw new IllegalArgumentException("executors need data.path (and multitask.data.path) set (the driver "
                    + "resolves them before it ships the configuration)");
        }
        NativeAllocations.warning().ifPresent(LOG::warn);
        try {
            FewShotData data = FewShotData.load(cfg, Path.of(".srwm", "data"), msg -> { });
            this.train = data.classes("train");
            this.model = FewShotSetup.model(cfg, data.train().channels(), data.train().height(),
                    data.train().width());
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot load " + cfg.data().path() + ": " + ex.getMessage(), ex);
        }
    }

    /** The state of the run with this effective configuration, built on first use in this JVM. */
    static ExecutorState of(String configText) {
        return STATES.computeIfAbsent(configText, ExecutorState::new);
    }

    /** Episodes [from, to) of step {@code step} at parameters {@code params}. */
    GradientSum shard(long step, float[] params, int from, int to) {
        INDArray p = Nd4j.create(Nd4j.createBuffer(params), new long[] {1, params.length});
        return onTaskCores(() -> FewShotTrainer.shard(cfg, model, train, step, p, from, to));
    }

    /**
     * Runs {@code work} on the cores Spark gave the task: a task with one core runs its kernels on this thread
     * instead of the shared pool, so concurrent tasks do not oversubscribe the executor's cores.
     */
    private static <T> T onTaskCores(java.util.function.Supplier<T> work) {
        org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
        return task != null && task.cpus() == 1 ? Parallel.inline(work) : work.get();
    }

    /**
     * A round of {@code k} local steps on episodes [from, to) of steps {@code step ..}, from the broadcast state
     * {@code pmv} = [parameters | Adam m | Adam v] after {@code adamStep} Adam steps.
     */
    LocalRound round(long step, int k, float[] pmv, long adamStep, int from, int to) {
        float[][] s = split(pmv);
        return onTaskCores(() -> LocalRound.run(cfg, model, train, step, k, s[0], s[1], s[2], adamStep, from, to));
    }

    /**
     * A round of {@code k} exact steps from {@code step} on episodes [from, to) of each step, exchanging the
     * shards' sums through {@code exchange}, from the broadcast state {@code pmv} = [parameters | Adam m | Adam v]
     * after {@code adamStep} Adam steps.
     */
    AllReduceRound allReduceRound(long step, int k, float[] pmv, long adamStep, int from, int to,
            AllReduceRound.Exchange exchange) {
        float[][] s = split(pmv);
        return onTaskCores(() -> AllReduceRound.run(cfg, model, train, step, k, s[0], s[1], s[2], adamStep, from, to,
                exchange));
    }

    /** [parameters | Adam m | Adam v] as three arrays. */
    private static float[][] split(float[] pmv) {
        int size = pmv.length / 3;
        return new float[][] {java.util.Arrays.copyOfRange(pmv, 0, size),
            java.util.Arrays.copyOfRange(pmv, size, 2 * size), java.util.Arrays.copyOfRange(pmv, 2 * size, 3 * size)};
    }

    /**
     * Training episodes {@code first .. first + count - 1} (the exact path's episode stream: the same seed and
     * indices give the same episodes) as one-example MultiDataSets for the DL4J graph.
     */
    List<MultiDataSet> graphEpisodes(long first, int count, boolean aux) {
        EpisodeSource source = Episodes.source(cfg, train, cfg.episode(),
                Seeds.derive(cfg.train().seed(), FewShotTrainer.STREAM_TRAIN_EPISODES), model.ways(),
                cfg.train().batch());
        return List.copyOf(EpisodeData.single(source, first, count, aux));
    }
}
