package io.srwmspark.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.data.SyntheticGlyphs;
import io.srwmspark.workers.fewshot.Adam;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotData;
import io.srwmspark.workers.fewshot.FewShotModel;
import io.srwmspark.workers.fewshot.FewShotSetup;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.fewshot.GradientSum;
import io.srwmspark.workers.fewshot.ImageSetClasses;
import io.srwmspark.workers.fewshot.LocalRound;
import io.srwmspark.workers.rng.Seeds;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Synchronous data parallelism is exact: 1, 2 and 3 shards (one job, summed on the driver) and 6 shards
 * ({@code treeAggregate} with a tree level on executors) give the single-machine trainer's parameters.
 */
class SparkStepGradientsTest {

    @TempDir
    static Path tmp;

    static JavaSparkContext sc;
    static String configText;
    static FewShotConfig cfg;
    static Conf base;

    @BeforeAll
    static void setUp() throws Exception {
        Path data = tmp.resolve("glyphs");
        new SyntheticGlyphs(3).write(data, 40, 6, 0.8, 2);
        Conf conf = Conf.parse(String.join("\n", "data.path = " + data, "data.split = 24,8,8", "data.image-size = 16",
                "episode.queries = 2", "model.channels = 4", "model.width = 8", "model.heads = 2", "model.layers = 1",
                "model.ff-multiplier = 2", "train.batch = 6", "train.seed = 5", "train.aux-proto = 0.5"), "test");
        base = conf;
        cfg = FewShotConfig.from(conf);
        configText = conf.effective();
        sc = new JavaSparkContext(SparkSetup.conf(new SparkConf(false).set("spark.ui.enabled", "false"),
                "srwm-exactness", "local[2]"));
    }

    @AfterAll
    static void tearDown() {
        if (sc != null) {
            sc.close();
        }
    }

    /** Ten Adam steps with the given step gradients; returns the parameters. */
    static float[] train(FewShotModel model, FewShotTrainer.StepGradients grads) {
        return train(cfg, model, grads);
    }

    static float[] train(FewShotConfig cfg, FewShotModel model, FewShotTrainer.StepGradients grads) {
        INDArray params = model.init(DataType.FLOAT, Seeds.derive(cfg.train().seed(), FewShotTrainer.STREAM_INIT));
        float[] p = params.data().asFloat();
        Adam adam = new Adam(cfg.train().adam(), p.length);
        for (long step = 0; step < 10; step++) {
            GradientSum g = grads.compute(step, params);
            assertEquals(cfg.train().batch(), g.episodes());
            adam.apply(p, g.gradient());
            params = Nd4j.create(Nd4j.createBuffer(p.clone()), new long[] {1, p.length});
        }
        return p;
    }

    /** With dropout in the backbone and the blocks too: masks are drawn per global row, not per shard. */
    @org.junit.jupiter.params.ParameterizedTest(name = "dropout {0}")
    @org.junit.jupiter.params.provider.ValueSource(doubles = {0.0, 0.2})
    void oneTwoAndThreeShardsEqualTheSingleMachineTrainer(double dropout) throws Exception {
        Conf conf = base.with(List.of("model.dropout=" + dropout));
        FewShotConfig cfg = FewShotConfig.from(conf);
        String configText = conf.effective();
        FewShotData data = FewShotData.load(cfg, tmp.resolve("cache"), msg -> { });
        FewShotModel model = FewShotSetup.model(cfg, 1, 16, 16);
        float[] local = train(cfg, model, FewShotTrainer.local(cfg, model, new ImageSetClasses(data.train())));
        if (dropout > 0) {
            FewShotModel plain = FewShotSetup.model(SparkStepGradientsTest.cfg, 1, 16, 16);
            float[] without = train(SparkStepGradientsTest.cfg, plain, FewShotTrainer.local(SparkStepGradientsTest.cfg,
                    plain, new ImageSetClasses(data.train())));
            assertTrue(!java.util.Arrays.equals(without, local), "dropout changes the training");
        }
        for (int partitions : List.of(1, 2, 3, 6)) {
            float[] spark = train(cfg, model, new SparkStepGradients(sc, configText, cfg.train().batch(), partitions,
                    local.length, "exactness"));
            double rel = relDiff(local, spark);
            assertTrue(rel <= 1e-5, partitions + " partitions: relative difference " + rel);
        }
    }

    @Test
    void localShardsSumToTheWholeBatch() throws Exception {
        FewShotData data = FewShotData.load(cfg, tmp.resolve("cache"), msg -> { });
        FewShotModel model = FewShotSetup.model(cfg, 1, 16, 16);
        ImageSetClasses train = new ImageSetClasses(data.train());
        INDArray params = model.init(DataType.FLOAT, 3);
        float[] whole = FewShotTrainer.shard(cfg, model, train, 0, params, 0, 6).gradient();
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        java.util.concurrent.Future<GradientSum> a = two.submit(
                () -> FewShotTrainer.shard(cfg, model, train, 0, params, 0, 3));
        java.util.concurrent.Future<GradientSum> b = two.submit(
                () -> FewShotTrainer.shard(cfg, model, train, 0, params, 3, 6));
        float[] parts = a.get().merge(b.get()).gradient();
        two.shutdown();
        double max = 0;
        double diff = 0;
        int worst = -1;
        for (int i = 0; i < whole.length; i++) {
            max = Math.max(max, Math.abs(whole[i]));
            if (Math.abs(whole[i] - parts[i]) > diff) {
                diff = Math.abs(whole[i] - parts[i]);
                worst = i;
            }
        }
        String name = "?";
        for (var e : model.layout().entries()) {
            if (worst >= e.offset() && worst < e.offset() + e.length()) {
                name = e.name();
            }
        }
        assertTrue(diff / max <= 1e-5, "relative difference " + diff / max + " at " + name);
    }

    /** Executors that cannot read the data fail the step at once, naming what they could not read. */
    @Test
    void unreadableDataOnExecutorsFailsFastNamingThePath() throws Exception {
        Path bad = tmp.resolve("corrupt");
        new SyntheticGlyphs(4).write(bad, 40, 6, 0.8, 2);
        Path victim;
        try (var files = java.nio.file.Files.walk(bad)) {
            victim = files.filter(f -> f.toString().endsWith(".png")).sorted().findFirst().orElseThrow();
        }
        java.nio.file.Files.write(victim, new byte[] {1, 2, 3, 4});
        for (String path : new String[] {bad.toString(), tmp.resolve("missing").toString()}) {
            String text = configText.replace("data.path = " + tmp.resolve("glyphs"), "data.path = " + path);
            assertTrue(text.contains(path), text);
            long t0 = System.nanoTime();
            SparkStepGradients grads = new SparkStepGradients(sc, text, cfg.train().batch(), 2, 10, "bad data");
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                    () -> grads.compute(0, Nd4j.zeros(DataType.FLOAT, 1, 10)));
            double seconds = (System.nanoTime() - t0) / 1e9;
            String expected = path.equals(bad.toString()) ? victim.getFileName().toString() : path;
            assertTrue(e.getMessage().contains(expected), e.getMessage());
            assertTrue(seconds < 30, "failed after " + seconds + " s");
        }
    }

    /** What a step ships (parameters out, gradient sums back) survives Spark's Java and Kryo serializers. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"org.apache.spark.serializer.JavaSerializer",
        "org.apache.spark.serializer.KryoSerializer"})
    void shippedValuesRoundTripThroughSparkSerializers(String serializer) throws Exception {
        FewShotData data = FewShotData.load(cfg, tmp.resolve("cache"), msg -> { });
        FewShotModel model = FewShotSetup.model(cfg, 1, 16, 16);
        INDArray params = model.init(DataType.FLOAT, 3);
        GradientSum g = FewShotTrainer.shard(cfg, model, new ImageSetClasses(data.train()), 0, params, 0, 3);
        org.apache.spark.serializer.SerializerInstance ser = ((org.apache.spark.serializer.Serializer) Class
                .forName(serializer).getConstructor(SparkConf.class).newInstance(new SparkConf(false)))
                .newInstance();
        scala.reflect.ClassTag<Object> any = scala.reflect.ClassTag$.MODULE$.Any();
        GradientSum back = (GradientSum) ser.deserialize(ser.serialize(g, any), any);
        org.junit.jupiter.api.Assertions.assertArrayEquals(g.gradient(), back.gradient(), 0f);
        assertEquals(g.meanLoss(), back.meanLoss());
        assertEquals(g.episodes(), back.episodes());
        float[] p = params.data().asFloat();
        var v = (io.srwmspark.workers.io.FloatBytes.Vector) ser.deserialize(ser.serialize(
                new io.srwmspark.workers.io.FloatBytes.Vector(p.clone()), any), any);
        org.junit.jupiter.api.Assertions.assertArrayEquals(p, v.values(), 0f);
    }

    /**
     * train.local-steps = 5 on Spark: two rounds over one partition are the ten exact steps; over three
     * partitions they average the shards' local steps: reproducible to the bit, and not the exact update.
     */
    @Test
    void localStepRoundsOnSpark() throws Exception {
        Conf conf = base.with(List.of("train.local-steps=5"));
        FewShotConfig c = FewShotConfig.from(conf);
        String text = conf.effective();
        FewShotData data = FewShotData.load(c, tmp.resolve("cache"), msg -> { });
        FewShotModel model = FewShotSetup.model(c, 1, 16, 16);
        int size = Math.toIntExact(model.layout().size());
        float[] exact = train(c, model, FewShotTrainer.local(c, model, new ImageSetClasses(data.train())));
        float[] one = rounds(c, model, new SparkStepGradients(sc, text, 6, 1, size, "rounds"));
        assertTrue(relDiff(exact, one) <= 1e-5, "one partition: " + relDiff(exact, one));
        SparkStepGradients three = new SparkStepGradients(sc, text, 6, 3, size, "rounds");
        assertTrue(three.roundsOverShards());
        float[] first = rounds(c, model, three);
        assertTrue(java.util.Arrays.equals(first, rounds(c, model, three)), "two runs on 3 partitions differ");
        assertTrue(relDiff(exact, first) > 1e-4, "averaged local steps are not the exact update: "
                + relDiff(exact, first));
        assertTrue(three.lastTiming().broadcastNanos() > 0);
    }

    /** Two rounds of five local steps from the initial parameters. */
    private static float[] rounds(FewShotConfig cfg, FewShotModel model, SparkStepGradients grads) {
        return tenStepsInRounds(cfg, model, 5, (step, k, p, adam) -> {
            LocalRound r = grads.round(step, k, p, adam);
            assertEquals(cfg.train().batch(), r.episodes());
            return r;
        });
    }

    /** One round of {@code k} steps from {@code step}. */
    private interface RoundOf {
        FewShotTrainer.Round run(long step, int k, float[] params, Adam adam);
    }

    /** Ten steps in rounds of up to {@code k} from the initial parameters; the final parameters. */
    private static float[] tenStepsInRounds(FewShotConfig cfg, FewShotModel model, int k, RoundOf round) {
        float[] p = model.init(DataType.FLOAT, Seeds.derive(cfg.train().seed(), FewShotTrainer.STREAM_INIT))
                .data().asFloat();
        Adam adam = new Adam(cfg.train().adam(), p.length);
        for (int step = 0; step < 10; step += k) {
            int n = Math.min(k, 10 - step);
            FewShotTrainer.Round r = round.run(step, n, p, adam);
            p = r.params();
            adam = new Adam(cfg.train().adam(), r.firstMoment(), r.secondMoment(), adam.step() + n);
        }
        return p;
    }

    /**
     * train.allreduce-steps = 4 on Spark: rounds of 4, 4 and 2 exact steps in barrier jobs give, to the bit, the
     * parameters of ten one-job steps on the same partitions (dropout on, so masks must follow the rows), and of
     * the single-machine trainer on one partition; more partitions than task slots fail at once.
     */
    @Test
    void allReduceRoundsOnSparkAreTheDriverStepsToTheBit() throws Exception {
        Conf conf = base.with(List.of("train.allreduce-steps=4", "model.dropout=0.2"));
        FewShotConfig c = FewShotConfig.from(conf);
        String text = conf.effective();
        FewShotData data = FewShotData.load(c, tmp.resolve("cache"), msg -> { });
        FewShotModel model = FewShotSetup.model(c, 1, 16, 16);
        int size = Math.toIntExact(model.layout().size());
        float[] exact = train(c, model, FewShotTrainer.local(c, model, new ImageSetClasses(data.train())));
        try (SparkStepGradients one = new SparkStepGradients(sc, text, 6, 1, size, "all-reduce")) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(exact, allReduce(c, model, one), "one partition");
        }
        float[] twoSteps = train(c, model, new SparkStepGradients(sc, text, 6, 2, size, "steps"));
        try (SparkStepGradients two = new SparkStepGradients(sc, text, 6, 2, size, "all-reduce")) {
            long t0 = System.nanoTime();
            org.junit.jupiter.api.Assertions.assertArrayEquals(twoSteps, allReduce(c, model, two), "two partitions");
            assertTrue(System.nanoTime() - t0 < 8_000_000_000L, "ten steps of a tiny model, no per-step wait");
            assertTrue(two.lastTiming().broadcastNanos() > 0);
        }
        assertTrue(relDiff(exact, twoSteps) <= 1e-5, "two partitions: " + relDiff(exact, twoSteps));
        try (SparkStepGradients three = new SparkStepGradients(sc, text, 6, 3, size, "all-reduce")) {
            long t0 = System.nanoTime();
            IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, () -> allReduce(c, model, three));
            assertTrue(ex.getMessage().contains("has 2 task slots") && ex.getMessage().contains("--partitions"),
                    ex.getMessage());
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused at once");
        }
    }

    /** Ten exact steps in all-reduce rounds of 4, 4 and 2 from the initial parameters. */
    private static float[] allReduce(FewShotConfig cfg, FewShotModel model, SparkStepGradients grads) {
        return tenStepsInRounds(cfg, model, 4, (step, k, p, adam) -> {
            io.srwmspark.workers.fewshot.AllReduceRound r = grads.allReduceRound(step, k, p, adam);
            assertEquals(k, r.steps());
            assertTrue(r.computeNanos() > 0 && r.meanLoss() > 0);
            return r;
        });
    }

    private static double relDiff(float[] a, float[] b) {
        double max = 0;
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff / max;
    }

    /** Without a tree, the driver adds the partitions' sums in partition order: a rerun gives the same bits. */
    @Test
    void theSamePartitionCountGivesTheSameBits() throws Exception {
        FewShotModel model = FewShotSetup.model(cfg, 1, 16, 16);
        float[] first = train(model, new SparkStepGradients(sc, configText, cfg.train().batch(), 3, (int) model.layout()
                .size(), "bits"));
        float[] second = train(model, new SparkStepGradients(sc, configText, cfg.train().batch(), 3, (int) model
                .layout().size(), "bits"));
        assertTrue(java.util.Arrays.equals(first, second), "two runs on 3 partitions differ");
    }

    /** Spark's depth-2 treeAggregate adds a tree level from 6 partitions on; below, one job does the same sum. */
    @Test
    void theTreeIsUsedWhereSparkWouldBuildOne() {
        for (int p = 1; p <= 5; p++) {
            assertTrue(!SparkStepGradients.treeAggregates(p), p + " partitions");
        }
        for (int p : new int[] {6, 7, 10, 64, 1000}) {
            assertTrue(SparkStepGradients.treeAggregates(p), p + " partitions");
        }
    }

    @Test
    void shardsCoverTheBatchContiguously() {
        List<int[]> s = SparkStepGradients.shards(7, 3);
        assertEquals(0, s.get(0)[0]);
        assertEquals(s.get(0)[1], s.get(1)[0]);
        assertEquals(s.get(1)[1], s.get(2)[0]);
        assertEquals(7, s.get(2)[1]);
    }
}
