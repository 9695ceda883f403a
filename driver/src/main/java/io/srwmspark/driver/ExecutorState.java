package io.srwmspark.driver;

import io.srwmspark.workers.concurrent.LoopTeam;
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
import io.srwmspark.workers.store.HadoopConf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.spark.SparkEnv;
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
    /** System property that turns {@link LoopTeam}s off in an executor JVM ({@code false}). */
    static final String LOOP_TEAMS = "srwm.loop-teams";

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
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            // an executor knows the application's spark.hadoop.* settings from the driver, not as system properties
            HadoopConf.install(SparkSetup.hadoopSettings(env.conf()));
        }
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

    /**
     * What the one-core tasks of this JVM share: the shards of one step, or the local-step rounds from one step
     * ({@link LoopTeam}). Runs (ExecutorStates) compare by identity, so two runs in one JVM never share.
     */
    private record Team(ExecutorState run, String unit, long step) {
    }

    /** Episodes [from, to) of step {@code step} at parameters {@code params}. */
    GradientSum shard(long step, float[] params, int from, int to) {
        INDArray p = Nd4j.create(Nd4j.createBuffer(params), new long[] {1, params.length});
        return onTaskCores(new Team(this, "step", step), () -> FewShotTrainer.shard(cfg, model, train, step, p, from,
                to));
    }

    /** Whether the running task owns one core ({@code spark.task.cpus = 1}); false outside a task. */
    private static boolean oneCoreTask() {
        org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
        return task != null && task.cpus() == 1;
    }

    /**
     * Runs {@code work} on the cores Spark gave the task. A task with one core runs its kernels on this thread
     * instead of the shared pool, so that concurrent tasks do not oversubscribe the executor's cores; with a
     * {@code team}, the tasks of this JVM doing the same unit of work lend each other their cores when their own
     * part is done (the step ends with the shared work, not with the slowest core; same bits): a task returns its
     * result at once and a helper thread takes its place until the team's last member is done.
     */
    private static <T> T onTaskCores(Team team, java.util.function.Supplier<T> work) {
        if (!oneCoreTask()) {
            return work.get();
        }
        return team == null || !loopTeams() ? Parallel.inline(work) : LoopTeam.lend(team, work);
    }

    /**
     * Whether one-core tasks lend each other their cores: yes unless the executor JVM runs with
     * {@code -D}{@value #LOOP_TEAMS}{@code =false} (for comparisons; results are the same either way).
     */
    static boolean loopTeams() {
        return !"false".equalsIgnoreCase(System.getProperty(LOOP_TEAMS, "true").strip());
    }

    /**
     * A round of {@code k} local steps on episodes [from, to) of steps {@code step ..}, from the broadcast state
     * {@code pmv} = [parameters | Adam m | Adam v] after {@code adamStep} Adam steps.
     */
    LocalRound round(long step, int k, float[] pmv, long adamStep, int from, int to) {
        float[][] s = split(pmv);
        return onTaskCores(new Team(this, "local-round", step), () -> LocalRound.run(cfg, model, train, step, k, s[0],
                s[1], s[2], adamStep, from, to));
    }

    /**
     * A round of {@code k} exact steps from {@code step} on episodes [from, to) of each step, exchanging the
     * shards' sums through {@code exchange}, from the broadcast state {@code pmv} = [parameters | Adam m | Adam v]
     * after {@code adamStep} Adam steps.
     */
    AllReduceRound allReduceRound(long step, int k, float[] pmv, long adamStep, int from, int to,
            AllReduceRound.Exchange exchange) {
        float[][] s = split(pmv);
        AllReduceRound.StepCores cores = oneCoreTask() && loopTeams()
                ? (st, shard) -> LoopTeam.lend(new Team(this, "step", st), shard) : AllReduceRound.StepCores.OWN;
        return onTaskCores(null, () -> AllReduceRound.run(cfg, model, train, step, k, s[0], s[1], s[2], adamStep, from,
                to, exchange, cores));
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
