package io.srwmspark.workers.fewshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.config.Conf;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The sequential multi-task setting: two delayed-label tasks concatenated in time, truncated per group. */
class SequentialTasksSamplerTest {

    private static final EpisodeSpec SPEC = new EpisodeSpec(3, 4, 0, EpisodeSpec.LabelSetting.DELAYED);
    /** Task 0's classes are 0..9, task 1's are 100..107 (pixel 0 encodes the class). */
    private static final TaskPair TASKS = new TaskPair(new FakeImages(10, 6), new FakeImages(8, 5, 100, 1));
    private static final int GROUP = 4;

    private static SequentialTasksSampler sampler(int maxTrim) {
        return new SequentialTasksSampler(TASKS, SPEC, 9, 3, maxTrim, GROUP);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 5, 11})
    void eachEpisodeIsOneTaskThenTheOtherTruncatedAndDelayed(int maxTrim) {
        SequentialTasksSampler s = sampler(maxTrim);
        Set<Boolean> orders = new HashSet<>();
        Set<Integer> lengths = new HashSet<>();
        for (long g = 0; g < 40; g++) {
            EpisodeBatch b = s.batch(g * GROUP, GROUP);
            int t = b.steps();
            assertEquals((long) GROUP * t, s.scoredIn(g * GROUP, GROUP));
            assertEquals(GROUP * t, b.scoredCount(), "every step is scored");
            for (int e = 0; e < GROUP; e++) {
                int[] task = Arrays.copyOfRange(b.task(), e * t, e * t + t);
                int switches = 0;
                for (int i = 1; i < t; i++) {
                    switches += task[i] != task[i - 1] ? 1 : 0;
                }
                assertEquals(1, switches, "one task, then the other");
                int firstLen = 0;
                while (task[firstLen] == task[0]) {
                    firstLen++;
                }
                int len0 = task[0] == 0 ? firstLen : t - firstLen;
                int len1 = t - len0;
                for (int len : new int[] {len0, len1}) {
                    assertTrue(len >= SPEC.length() - maxTrim && len <= SPEC.length(), "length " + len);
                    lengths.add(len);
                }
                orders.add(task[0] == 0);
                int[][] seen = new int[2][SPEC.ways()];
                for (int i = 0; i < t; i++) {
                    int row = e * t + i;
                    int cls = (int) b.images()[row * 4];
                    assertEquals(task[i] == 1, cls >= 100, "images of a step come from its task's dataset");
                    assertEquals(seen[task[i]][b.targets()[row]]++, b.shot()[row], "shot counts per task");
                    float[] fed = Arrays.copyOfRange(b.labelsIn(), row * 3, row * 3 + 3);
                    if (i == 0) {
                        assertArrayEquals(new float[3], fed, "nothing is fed at t = 0");
                    } else {
                        assertEquals(1f, fed[b.targets()[row - 1]], "the previous step's label, across the boundary");
                        assertEquals(1f, fed[0] + fed[1] + fed[2]);
                    }
                }
            }
        }
        assertEquals(2, orders.size(), "both orders occur");
        assertEquals(Math.min(maxTrim, 11) + 1, lengths.size(), "every truncation 0..max-trim occurs");
    }

    @Test
    void shardsOfAGroupRebuildTheSameEpisodes() {
        SequentialTasksSampler s = sampler(6);
        EpisodeBatch all = s.batch(8, 4);
        EpisodeBatch part = s.batch(10, 2);
        int t = all.steps();
        assertEquals(t, part.steps(), "a group shares one length");
        assertArrayEquals(Arrays.copyOfRange(all.images(), 2 * t * 4, 4 * t * 4), part.images());
        assertArrayEquals(Arrays.copyOfRange(all.labelsIn(), 2 * t * 3, 4 * t * 3), part.labelsIn());
        assertArrayEquals(Arrays.copyOfRange(all.task(), 2 * t, 4 * t), part.task());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.batch(6, 4));
        assertTrue(e.getMessage().contains("group"), e.getMessage());
    }

    @Test
    void badSettingsAreRefusedWithTheKey() {
        IllegalArgumentException trim = assertThrows(IllegalArgumentException.class, () -> sampler(12));
        assertTrue(trim.getMessage().contains("multitask.max-trim"), trim.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SequentialTasksSampler(TASKS,
                new EpisodeSpec(3, 4, 1, EpisodeSpec.LabelSetting.SYNCHRONOUS), 1, 3, 2, 4));
        IllegalArgumentException sync = assertThrows(IllegalArgumentException.class, () -> FewShotConfig.from(
                Conf.parse("multitask.enabled = true", "test")));
        assertTrue(sync.getMessage().contains("episode.setting = delayed"), sync.getMessage());
        IllegalArgumentException cfgTrim = assertThrows(IllegalArgumentException.class, () -> FewShotConfig.from(
                Conf.parse(String.join("\n", "multitask.enabled = true", "episode.setting = delayed",
                        "episode.shots = 2", "multitask.max-trim = 10"), "test")));
        assertTrue(cfgTrim.getMessage().contains("multitask.max-trim = 10"), cfgTrim.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> new TaskPair(new FakeImages(5, 5), new FakeImages(5, 5, 0, 3)));
        assertTrue(shape.getMessage().contains("1x2x2 and 3x2x2"), shape.getMessage());
    }

    @Test
    void evaluationReportsAccuracyPerTaskAndShot() {
        FewShotConfig cfg = FewShotConfig.from(Conf.parse(String.join("\n", "episode.ways = 3", "episode.shots = 4",
                "episode.setting = delayed", "multitask.enabled = true", "multitask.max-trim = 5", "train.batch = 4",
                "model.width = 4", "model.heads = 2", "model.layers = 1"), "test"));
        EpisodeSource source = Episodes.source(cfg, TASKS, SPEC, 3, 3, GROUP);
        FewShotModel model = FewShotModelGradientTest.model("srwm", 3, 0);
        Evaluator.Report r = Evaluator.evaluate(model, model.init(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1),
                source, 8, GROUP);
        assertEquals(2, r.perTask().length);
        assertEquals(2, r.perShot().length);
        assertEquals(SPEC.shots(), r.perShot()[1].length);
        for (double[] task : r.perShot()) {
            for (double a : task) {
                assertTrue(a >= 0 && a <= 1, Arrays.toString(task));
            }
        }
        assertTrue(Double.isFinite(r.loss()));
        assertThrows(IllegalArgumentException.class, () -> Episodes.source(cfg, new FakeImages(10, 6), SPEC, 3, 3, 4));
    }

    @Test
    void shardsOfAMultiTaskStepSumToTheWholeStep() {
        FewShotConfig cfg = FewShotConfig.from(Conf.parse(String.join("\n", "episode.ways = 3", "episode.shots = 4",
                "episode.setting = delayed", "multitask.enabled = true", "multitask.max-trim = 7", "train.batch = 4",
                "model.width = 4", "model.heads = 2", "model.layers = 1"), "test"));
        FewShotModel model = FewShotModelGradientTest.model("srwm", 3, 0);
        org.nd4j.linalg.api.ndarray.INDArray p = model.init(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4);
        for (long step = 0; step < 3; step++) {
            float[] whole = FewShotTrainer.shard(cfg, model, TASKS, step, p, 0, 4).gradient();
            float[] parts = FewShotTrainer.shard(cfg, model, TASKS, step, p, 0, 1)
                    .merge(FewShotTrainer.shard(cfg, model, TASKS, step, p, 1, 4)).gradient();
            double max = 0;
            double diff = 0;
            for (int i = 0; i < whole.length; i++) {
                max = Math.max(max, Math.abs(whole[i]));
                diff = Math.max(diff, Math.abs(whole[i] - parts[i]));
            }
            assertTrue(max > 0 && diff <= 1e-5 * max, "step " + step + ": relative difference " + diff / max);
        }
    }

    @Test
    void aMultiTaskRunLoadsBothDatasetsAlike(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws java.io.IOException {
        String common = String.join("\n", "episode.setting = delayed", "episode.shots = 3", "multitask.max-trim = 4",
                "data.synth.classes = 24", "data.synth.per-class = 4", "data.split = 12,6,6", "data.channels = 3",
                "data.image-size = 12", "multitask.data.synth.classes = 18", "multitask.data.synth.per-class = 4",
                "multitask.data.split = 8,5,5");
        FewShotConfig multi = FewShotConfig.from(Conf.parse(common + "\nmultitask.enabled = true", "test"));
        FewShotData data = FewShotData.load(multi, tmp, msg -> { });
        ClassImages train = data.classes("train");
        assertTrue(train instanceof TaskPair);
        assertEquals(12 + 8, train.numClasses());
        assertEquals(3, train.channels());
        assertEquals(12, train.width());
        assertEquals(5 + 6, data.classes("test").numClasses());
        FewShotData single = FewShotData.load(FewShotConfig.from(Conf.parse(common, "test")), tmp, msg -> { });
        assertEquals(null, single.second());
        assertEquals(12, single.classes("train").numClasses());
        assertTrue(!single.identity().equals(data.identity()), "the second dataset is part of the identity");
        EpisodeBatch b = Episodes.source(multi, train, multi.episode(), 1, 5, 2).batch(0, 2);
        assertEquals(3 * 12 * 12, b.channels() * b.height() * b.width());
    }
}
