package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.util.Locale;

/**
 * Everything a few-shot run is built from, read from a {@link Conf} (documented defaults in
 * conf/fewshot-*.conf). Unknown keys are rejected by {@link #from}.
 *
 * @param data    where the images come from
 * @param episode the training episodes
 * @param model   the network
 * @param train   the optimization
 * @param evalEpisodes test episodes of {@code fewshot eval} and of the final report
 * @param multiTask    the sequential multi-task setting (off by default)
 * @param distributed  how a Spark run distributes training ({@code train.strategy})
 */
public record FewShotConfig(Data data, EpisodeSpec episode, Model model, Train train, int evalEpisodes,
        MultiTask multiTask, Distributed distributed) {

    public FewShotConfig {
        if (multiTask.enabled() && episode.setting() != EpisodeSpec.LabelSetting.DELAYED) {
            throw new IllegalArgumentException("multitask.enabled = true needs episode.setting = delayed");
        }
        if (multiTask.enabled() && multiTask.maxTrim() >= episode.length()) {
            throw new IllegalArgumentException("multitask.max-trim = " + multiTask.maxTrim() + " must be less than "
                    + "the " + episode.length() + " steps of a " + episode.ways() + "-way " + episode.shots()
                    + "-shot task");
        }
        if (multiTask.enabled() && train.curriculum() > 0) {
            throw new IllegalArgumentException("train.curriculum is for single-task runs; set it to 0 with "
                    + "multitask.enabled = true");
        }
    }

    /**
     * @param path         dataset folder or Hadoop URI; empty for the synthetic glyphs (generated on first use)
     * @param format       auto, omniglot, miniimagenet or tree
     * @param synthClasses synthetic glyph classes
     * @param synthPerClass images per synthetic class
     * @param synthSeed    seed of the synthetic glyphs
     * @param imageSize    side of the square images fed to the backbone
     * @param channels     1 (grey) or 3 (RGB) channels fed to the backbone; 0 for the layout's own (Omniglot grey,
     *                     Mini-ImageNet RGB)
     * @param rotations    Omniglot-style 90/180/270 rotations as extra classes
     * @param split        "train,val,test" class counts, or empty for the layout's default split
     */
    public record Data(String path, String format, int synthClasses, int synthPerClass, long synthSeed,
            int imageSize, int channels, boolean rotations, String split) {

        public Data {
            if (channels != 0 && channels != 1 && channels != 3) {
                throw new IllegalArgumentException("data.channels must be 0 (the layout's own), 1 or 3, got "
                        + channels);
            }
        }
    }

    /**
     * The sequential multi-task setting (paper, section 4.2): each episode is a delayed-label episode of the
     * first dataset ({@code data.*}) and one of the second ({@code multitask.data.*}) concatenated in time, in a
     * random order, each truncated at its end by 0..{@code maxTrim} steps.
     *
     * @param enabled whether runs use it
     * @param data    the second dataset (its image size and channels are the first's)
     * @param maxTrim largest truncation of a task, in steps
     */
    public record MultiTask(boolean enabled, Data data, int maxTrim) {
    }

    /**
     * @param backbone     conv4 or res12
     * @param channels     Conv-4 channels (64 Omniglot, 32 otherwise)
     * @param sequence     srwm, deltanet or lstm
     * @param width        D
     * @param heads        H (E = D / H)
     * @param layers       L
     * @param ffMultiplier feed-forward size F = multiplier x D
     * @param dropout      dropout rate
     * @param kernel       SRWM kernel name
     */
    public record Model(String backbone, int channels, String sequence, int width, int heads, int layers,
            int ffMultiplier, double dropout, String kernel) {

        public Model {
            if (width % heads != 0) {
                throw new IllegalArgumentException("model.width = " + width + " must be a multiple of model.heads = "
                        + heads);
            }
        }

        public int headSize() {
            return width / heads;
        }
    }

    /**
     * @param batch       episodes per step (global)
     * @param steps       optimizer steps
     * @param minutes     wall-clock budget in minutes (0: none)
     * @param seed        seed of initialization, episodes and dropout
     * @param valEvery    validate every this many steps
     * @param valEpisodes validation episodes
     * @param adam        optimizer settings
     * @param curriculum  S &gt; 0: train on 2-way episodes first and one way more every S steps up to N (0: off)
     * @param auxProto    weight of the auxiliary prototypical loss on the backbone features (0: the paper's
     *                    recipe; training only, evaluation never uses it)
     * @param keepLast    step checkpoints kept in the run folder (besides the best one)
     */
    public record Train(int batch, int steps, double minutes, long seed, int valEvery, int valEpisodes,
            Adam.Settings adam, int curriculum, double auxProto, int keepLast) {
    }

    /**
     * How a run on Spark trains (docs/distributed.md).
     *
     * @param strategy           {@link #EXACT}: synchronous gradient aggregation, the same update as one machine;
     *                           {@link #DL4J_AVERAGING}: the model as a DL4J ComputationGraph trained with
     *                           dl4j-spark's parameter averaging
     * @param averagingFrequency dl4j-averaging only: local minibatch steps each worker takes between two
     *                           parameter averagings (the global batch {@code train.batch} is split evenly over
     *                           the workers, so each worker's minibatch is {@code train.batch / workers} episodes)
     * @param localSteps         exact strategy on Spark: 1 (the default) for exact steps; K &gt; 1 for rounds of K
     *                           local Adam steps per shard, then the average of the shards' parameters and Adam
     *                           moments ({@link LocalRound}; not exact, K times fewer Spark jobs)
     * @param allReduceSteps     exact strategy on Spark: 1 (the default) for one Spark job per step; K &gt; 1 for
     *                           K exact steps per Spark job, the shards (one barrier stage) exchanging their gradient
     *                           sums through a TCP reducer on the driver and each applying the same Adam update ({@link AllReduceRound};
     *                           exact: the same bits as one job per step with fewer than 6 partitions)
     */
    public record Distributed(String strategy, int averagingFrequency, int localSteps, int allReduceSteps) {

        /** Synchronous data-parallel SGD with exact gradient sums (the default). */
        public static final String EXACT = "exact";
        /** dl4j-spark's ParameterAveragingTrainingMaster over a DL4J ComputationGraph of the model. */
        public static final String DL4J_AVERAGING = "dl4j-averaging";

        public Distributed {
            if (!EXACT.equals(strategy) && !DL4J_AVERAGING.equals(strategy)) {
                throw new IllegalArgumentException("train.strategy must be " + EXACT + " or " + DL4J_AVERAGING
                        + ", got '" + strategy + "'");
            }
            if (averagingFrequency < 1) {
                throw new IllegalArgumentException("train.averaging-frequency must be >= 1, got "
                        + averagingFrequency);
            }
            if (localSteps < 1) {
                throw new IllegalArgumentException("train.local-steps must be >= 1, got " + localSteps);
            }
            if (localSteps > 1 && DL4J_AVERAGING.equals(strategy)) {
                throw new IllegalArgumentException("train.local-steps = " + localSteps + " applies to train.strategy"
                        + " = exact; dl4j-averaging sets its local steps with train.averaging-frequency");
            }
            if (allReduceSteps < 1) {
                throw new IllegalArgumentException("train.allreduce-steps must be >= 1, got " + allReduceSteps);
            }
            if (allReduceSteps > 1 && DL4J_AVERAGING.equals(strategy)) {
                throw new IllegalArgumentException("train.allreduce-steps = " + allReduceSteps + " applies to "
                        + "train.strategy = exact, not " + DL4J_AVERAGING);
            }
            if (allReduceSteps > 1 && localSteps > 1) {
                throw new IllegalArgumentException("train.allreduce-steps = " + allReduceSteps + " and "
                        + "train.local-steps = " + localSteps + " exclude each other (exact all-reduce rounds, or "
                        + "local steps with averaging)");
            }
        }

        /** Whether the run trains with dl4j-spark's parameter averaging. */
        public boolean dl4jAveraging() {
            return DL4J_AVERAGING.equals(strategy);
        }
    }

    /** Reads every key; fails on keys nobody reads. */
    public static FewShotConfig from(Conf c) {
        int imageSize = c.integer("data.image-size", 28, 4, 1024);
        int channels = c.integer("data.channels", 0, 0, 3);
        Data data = data(c, "data.", 1, imageSize, channels);
        boolean multi = c.bool("multitask.enabled", false);
        MultiTask multiTask = new MultiTask(multi, data(c, "multitask.data.", 2, imageSize, channels),
                c.integer("multitask.max-trim", 60, 0, 1 << 20));
        EpisodeSpec.LabelSetting setting = EpisodeSpec.LabelSetting.valueOf(
                c.choice("episode.setting", "synchronous", "synchronous", "delayed").toUpperCase(Locale.ROOT));
        EpisodeSpec ep = new EpisodeSpec(c.integer("episode.ways", 5, 2, 1000), c.integer("episode.shots", 1, 1, 1000),
                c.integer("episode.queries", 1, 0, 1000), setting);
        int width = c.integer("model.width", 256, 1, 1 << 16);
        Model model = new Model(c.choice("model.backbone", "conv4", "conv4", "res12"),
                c.integer("model.channels", 64, 1, 4096), c.choice("model.sequence", "srwm", "srwm", "deltanet", "lstm"),
                width, c.integer("model.heads", 16, 1, 4096), c.integer("model.layers", 2, 1, 64),
                c.integer("model.ff-multiplier", 4, 1, 64), c.number("model.dropout", 0.0, 0, 0.99),
                c.choice("model.kernel", "cpu", SrwmKernels.NAMES.toArray(String[]::new)));
        Adam.Settings adam = new Adam.Settings(c.number("train.lr", 1e-3, 1e-12, 1e3),
                c.number("train.beta1", 0.9, 0, 0.999999), c.number("train.beta2", 0.995, 0, 0.999999),
                c.number("train.eps", 1e-9, 1e-30, 1), c.choice("train.schedule", "constant", "constant", "noam"),
                c.integer("train.warmup", 5000, 1, Integer.MAX_VALUE), width, c.number("train.clip", 0, 0, 1e12));
        Train train = new Train(c.integer("train.batch", 128, 1, 1 << 20), c.integer("train.steps", 300_000, 1,
                Integer.MAX_VALUE), c.number("train.minutes", 0, 0, 1e7), c.longValue("train.seed", 1),
                c.integer("train.val-every", 1000, 1, Integer.MAX_VALUE),
                c.integer("train.val-episodes", 500, 1, 1 << 24), adam, c.integer("train.curriculum", 0, 0,
                Integer.MAX_VALUE), c.number("train.aux-proto", 0, 0, 1e6),
                c.integer("train.keep-last", 3, 1, 1_000_000));
        int evalEpisodes = c.integer("eval.episodes", 2000, 1, 1 << 24);
        Distributed distributed = new Distributed(c.choice("train.strategy", Distributed.EXACT, Distributed.EXACT,
                Distributed.DL4J_AVERAGING), c.integer("train.averaging-frequency", 5, 1, 1 << 20),
                c.integer("train.local-steps", 1, 1, 1 << 20), c.integer("train.allreduce-steps", 1, 1, 1 << 20));
        c.rejectUnread();
        return new FewShotConfig(data, ep, model, train, evalEpisodes, multiTask, distributed);
    }

    private static Data data(Conf c, String prefix, long synthSeed, int imageSize, int channels) {
        return new Data(c.string(prefix + "path", ""), c.choice(prefix + "format", "auto", "auto", "omniglot",
                "miniimagenet", "tree"), c.integer(prefix + "synth.classes", 1400, 10, 1_000_000),
                c.integer(prefix + "synth.per-class", 20, 2, 100_000), c.longValue(prefix + "synth.seed", synthSeed),
                imageSize, channels, c.bool(prefix + "rotations", false), c.string(prefix + "split", ""));
    }
}
