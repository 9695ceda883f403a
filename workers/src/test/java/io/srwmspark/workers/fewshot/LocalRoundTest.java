package io.srwmspark.workers.fewshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.store.RunStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Rounds of train.local-steps: one shard is exactly K steps; several are averaged by episodes. */
class LocalRoundTest {

    private static final int B = 4;

    @TempDir
    Path tmp;

    private static FewShotConfig config(int steps, int localSteps) {
        return FewShotConfig.from(Conf.parse(String.join("\n", "episode.ways = 3", "episode.queries = 2",
                "train.batch = " + B, "train.steps = " + steps, "train.val-every = 4", "train.val-episodes = 6",
                "model.width = 4", "model.heads = 2", "model.layers = 1", "train.local-steps = " + localSteps),
                "test"));
    }

    static final FewShotModel MODEL = FewShotModelGradientTest.model("srwm", 3, 0);
    static final FakeImages DATA = new FakeImages(10, 5);

    private static float[] init() {
        return MODEL.init(DataType.FLOAT, 5).data().asFloat();
    }

    @Test
    void aRoundOverTheWholeBatchIsExactlyKExactSteps() {
        FewShotConfig cfg = config(10, 3);
        float[] p0 = init();
        int size = p0.length;
        float[] p = p0.clone();
        Adam adam = new Adam(cfg.train().adam(), size);
        INDArray at = Nd4j.create(Nd4j.createBuffer(p.clone()), new long[] {1, size});
        for (long s = 2; s < 5; s++) {
            adam.apply(p, FewShotTrainer.shard(cfg, MODEL, DATA, s, at, 0, B).gradient());
            at.data().asNioFloat().put(0, p);
        }
        LocalRound r = LocalRound.run(cfg, MODEL, DATA, 2, 3, p0, new float[size], new float[size], 0, 0, B);
        assertArrayEquals(p, r.params());
        assertArrayEquals(adam.firstMoment(), r.firstMoment());
        assertArrayEquals(adam.secondMoment(), r.secondMoment());
        assertEquals(B, r.episodes());
        assertTrue(r.meanLoss() > 0 && r.accuracy() >= 0 && r.accuracy() <= 1);
        assertArrayEquals(p, LocalRound.average(List.of(r)).params(), "one shard averages to itself");
    }

    @Test
    void shardsAreAveragedByTheirEpisodesAndSerializeAsBytes() throws Exception {
        FewShotConfig cfg = config(10, 2);
        float[] p0 = init();
        int size = p0.length;
        LocalRound a = LocalRound.run(cfg, MODEL, DATA, 0, 2, p0, new float[size], new float[size], 0, 0, 1);
        LocalRound b = LocalRound.run(cfg, MODEL, DATA, 0, 2, p0, new float[size], new float[size], 0, 1, B);
        LocalRound avg = LocalRound.average(List.of(a, b));
        float[] pa = a.params();
        float[] pb = b.params();
        float[] pv = avg.params();
        for (int i = 0; i < size; i++) {
            assertEquals((pa[i] + 3.0 * pb[i]) / 4, pv[i], 1e-7 * (1 + Math.abs(pv[i])), "weights 1/4 and 3/4");
        }
        assertEquals(B, avg.episodes());
        assertEquals(Math.max(a.computeNanos(), b.computeNanos()), avg.computeNanos());

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(avg);
        }
        assertTrue(bytes.size() < 13L * size + 1024, "12 bytes per parameter: " + bytes.size());
        LocalRound back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (LocalRound) in.readObject();
        }
        assertArrayEquals(avg.params(), back.params());
        assertArrayEquals(avg.firstMoment(), back.firstMoment());
        assertArrayEquals(avg.secondMoment(), back.secondMoment());
        assertEquals(avg.meanLoss(), back.meanLoss());
        assertEquals(avg.accuracy(), back.accuracy());
    }

    @Test
    void badRoundsAreRefused() {
        FewShotConfig cfg = config(10, 2);
        float[] p0 = init();
        int n = p0.length;
        assertThrows(IllegalArgumentException.class,
                () -> LocalRound.run(cfg, MODEL, DATA, 0, 0, p0, new float[n], new float[n], 0, 0, B));
        assertThrows(IllegalArgumentException.class,
                () -> LocalRound.run(cfg, MODEL, DATA, 0, 1, p0, new float[n], new float[n], 0, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> LocalRound.average(List.of()));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> config(10, 0));
        assertTrue(ex.getMessage().contains("train.local-steps"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> FewShotConfig.from(Conf.parse(
                "train.local-steps = 2\ntrain.strategy = dl4j-averaging", "test")));
        assertTrue(ex.getMessage().contains("train.averaging-frequency"), ex.getMessage());
    }

    /** Rounds over the shards [0, 1) and [1, B) in this JVM, or over the whole batch. */
    private static FewShotTrainer.StepGradients shards(FewShotConfig cfg, boolean split) {
        return new FewShotTrainer.StepGradients() {
            @Override
            public GradientSum compute(long step, INDArray params) {
                throw new AssertionError("a run with local steps takes rounds only");
            }

            @Override
            public boolean roundsOverShards() {
                return true;
            }

            @Override
            public LocalRound round(long step, int k, float[] params, Adam adam) {
                int[] cuts = split ? new int[] {0, 1, B} : new int[] {0, B};
                List<LocalRound> parts = new ArrayList<>();
                for (int i = 0; i + 1 < cuts.length; i++) {
                    parts.add(LocalRound.run(cfg, MODEL, DATA, step, k, params, adam.firstMoment(),
                            adam.secondMoment(), adam.step(), cuts[i], cuts[i + 1]));
                }
                return LocalRound.average(parts);
            }
        };
    }

    private float[] train(String dir, FewShotConfig cfg, FewShotTrainer.StepGradients g) throws IOException {
        return train(tmp.resolve(dir), cfg, g);
    }

    /** Trains the test model on the fake images into run folder {@code dir}; the final parameters. */
    static float[] train(Path dir, FewShotConfig cfg, FewShotTrainer.StepGradients g) throws IOException {
        FewShotTrainer.Outcome o = FewShotTrainer.train(cfg, MODEL, g, DATA, RunStore.open(dir.toString()),
                null, Map.of("config", "x"), new FewShotTrainer.Progress() {
                    @Override
                    public void step(long step, long total, double loss, double acc, double rate, double seconds) {
                    }

                    @Override
                    public void validation(long step, double accuracy, double ci95, boolean best) {
                    }
                });
        assertEquals(cfg.train().steps(), o.step());
        return o.lastParams().data().asFloat();
    }

    @Test
    void theTrainerTakesRoundsAndAShortLastOne() throws IOException {
        // 7 steps in rounds of 3: 3 + 3 + 1; validation and checkpoints at the round ends past 4 and at 7
        float[] exact = train("exact", config(7, 1), FewShotTrainer.local(config(7, 1), MODEL, DATA));
        float[] oneShard = train("one", config(7, 3), shards(config(7, 3), false));
        assertArrayEquals(exact, oneShard, "rounds over one shard are the exact steps");
        float[] twoShards = train("two", config(7, 3), shards(config(7, 3), true));
        assertFalse(Arrays.equals(exact, twoShards), "averaging two shards' local steps is not the exact update");
        assertArrayEquals(twoShards, train("again", config(7, 3), shards(config(7, 3), true)), "deterministic");
        List<String> files = RunStore.open(tmp.resolve("two").toString()).list();
        assertTrue(files.containsAll(List.of("step-000000000006.ckpt", "step-000000000007.ckpt")), files.toString());
        assertFalse(files.contains("step-000000000004.ckpt"), files.toString());
    }
}
