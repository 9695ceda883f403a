package io.srwmspark.workers.fewshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EpisodeSamplerTest {

    private static final EpisodeSpec SYNC = new EpisodeSpec(5, 2, 3, EpisodeSpec.LabelSetting.SYNCHRONOUS);
    private static final EpisodeSpec DELAYED = new EpisodeSpec(3, 4, 0, EpisodeSpec.LabelSetting.DELAYED);

    @Test
    void anEpisodeDependsOnlyOnSeedAndIndex() {
        EpisodeSampler s = new EpisodeSampler(new FakeImages(40, 10), SYNC, 7);
        EpisodeBatch all = s.batch(100, 6);
        EpisodeBatch part = s.batch(103, 2);
        int t = SYNC.length();
        assertArrayEquals(Arrays.copyOfRange(all.images(), 3 * t * 4, 5 * t * 4), part.images());
        assertArrayEquals(Arrays.copyOfRange(all.targets(), 3 * t, 5 * t), part.targets());
        assertArrayEquals(Arrays.copyOfRange(all.labelsIn(), 3 * t * 5, 5 * t * 5), part.labelsIn());
        EpisodeBatch other = new EpisodeSampler(new FakeImages(40, 10), SYNC, 8).batch(103, 2);
        assertNotEquals(Arrays.toString(part.images()), Arrays.toString(other.images()));
    }

    @ParameterizedTest
    @CsvSource({"0", "1", "2", "17"})
    void synchronousEpisodesFollowThePaper(long index) {
        EpisodeBatch e = new EpisodeSampler(new FakeImages(40, 10), SYNC, 3).batch(index, 1);
        int n = SYNC.ways();
        int nk = n * SYNC.shots();
        Map<Integer, Integer> classOfLabel = new HashMap<>();
        Map<Integer, Set<Integer>> imagesOfLabel = new HashMap<>();
        for (int s = 0; s < SYNC.length(); s++) {
            int label = e.targets()[s];
            int cls = (int) e.images()[s * 4];
            int img = (int) e.images()[s * 4 + 1];
            Integer prev = classOfLabel.putIfAbsent(label, cls);
            assertTrue(prev == null || prev == cls, "one class per label");
            assertTrue(imagesOfLabel.computeIfAbsent(label, k -> new HashSet<>()).add(img), "images are distinct");
            float[] fed = Arrays.copyOfRange(e.labelsIn(), s * n, s * n + n);
            if (s < nk) {
                assertEquals(1f, fed[label], "support fed with its label");
                assertEquals(1f, sum(fed));
                assertEquals(0f, e.scored()[s]);
            } else {
                assertEquals(0f, sum(fed), "query fed with a dummy label");
                assertEquals(1f, e.scored()[s]);
            }
        }
        assertEquals(n, new HashSet<>(classOfLabel.values()).size(), "N distinct classes");
        assertEquals(SYNC.queries(), e.scoredCount());
    }

    @Test
    void delayedEpisodesFeedThePreviousLabel() {
        EpisodeBatch e = new EpisodeSampler(new FakeImages(10, 6), DELAYED, 1).batch(5, 1);
        int n = DELAYED.ways();
        assertEquals(0f, sum(Arrays.copyOfRange(e.labelsIn(), 0, n)));
        int[] seen = new int[n];
        for (int s = 0; s < DELAYED.length(); s++) {
            assertEquals(1f, e.scored()[s]);
            assertEquals(seen[e.targets()[s]]++, e.shot()[s]);
            if (s > 0) {
                assertEquals(1f, e.labelsIn()[s * n + e.targets()[s - 1]]);
            }
        }
        assertArrayEquals(new int[] {4, 4, 4}, seen);
    }

    @Test
    void tooFewClassesOrImagesNameTheProblem() {
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
                () -> new EpisodeSampler(new FakeImages(4, 10), SYNC, 1));
        assertTrue(a.getMessage().contains("5-way") && a.getMessage().contains("4"), a.getMessage());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                () -> new EpisodeSampler(new FakeImages(10, 4), SYNC, 1));
        assertTrue(b.getMessage().contains("class0") && b.getMessage().contains("need 5"), b.getMessage());
    }

    private static float sum(float[] a) {
        float s = 0;
        for (float v : a) {
            s += v;
        }
        return s;
    }

    @Test
    void wideLabelsLetAModelForMoreWaysTrainOnFewer() {
        EpisodeSpec twoWay = new EpisodeSpec(2, 1, 2, EpisodeSpec.LabelSetting.SYNCHRONOUS);
        EpisodeBatch e = new EpisodeSampler(new FakeImages(10, 5), twoWay, 4, 5).batch(0, 3);
        assertEquals(3 * twoWay.length() * 5, e.labelsIn().length);
        for (int row = 0; row < 3 * twoWay.length(); row++) {
            assertTrue(e.targets()[row] < 2);
            for (int j = 2; j < 5; j++) {
                assertEquals(0f, e.labelsIn()[row * 5 + j]);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new EpisodeSampler(new FakeImages(10, 5), SYNC, 1, 3));
    }
}
