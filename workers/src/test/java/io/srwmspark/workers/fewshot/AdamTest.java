package io.srwmspark.workers.fewshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AdamTest {

    private static Adam.Settings settings(String schedule, double clip) {
        return new Adam.Settings(1e-2, 0.9, 0.995, 1e-9, schedule, 10, 64, clip);
    }

    @Test
    void firstStepMovesEachParameterByTheLearningRate() {
        Adam a = new Adam(settings("constant", 0), 3);
        float[] p = {1, 2, 3};
        a.apply(p, new float[] {0.5f, -2f, 0f});
        assertArrayEquals(new float[] {1 - 0.01f, 2 + 0.01f, 3}, p, 1e-6f);
    }

    @Test
    void minimizesAQuadratic() {
        Adam a = new Adam(settings("constant", 0), 2);
        float[] p = {3, -4};
        for (int i = 0; i < 2000; i++) {
            a.apply(p, new float[] {2 * p[0], 2 * p[1]});
        }
        assertArrayEquals(new float[] {0, 0}, p, 1e-2f);
    }

    @Test
    void clippingScalesTheGradientToTheNorm() {
        Adam a = new Adam(settings("constant", 1), 2);
        float[] g = {3, 4};
        double norm = a.apply(new float[2], g);
        assertEquals(5, norm, 1e-9);
        assertArrayEquals(new float[] {0.6f, 0.8f}, g, 1e-6f);
    }

    @Test
    void noamWarmsUpThenDecays() {
        Adam.Settings s = settings("noam", 0);
        assertEquals(1e-2 / 8 * 1 * Math.pow(10, -1.5), s.rate(1), 1e-12);
        assertEquals(1e-2 / 8 * Math.pow(10, -0.5), s.rate(10), 1e-12);
        assertEquals(1e-2 / 8 * Math.pow(40, -0.5), s.rate(40), 1e-12);
    }

    @Test
    void restoredStateContinuesIdentically() {
        Adam a = new Adam(settings("constant", 0), 2);
        float[] p = {1, 1};
        a.apply(p, new float[] {1, -1});
        Adam b = new Adam(a.settings(), a.firstMoment(), a.secondMoment(), a.step());
        float[] q = p.clone();
        a.apply(p, new float[] {0.3f, 0.2f});
        b.apply(q, new float[] {0.3f, 0.2f});
        assertArrayEquals(p, q, 0f);
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Adam.Settings(0, 0.9, 0.995, 1e-9, "constant", 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Adam.Settings(1, 0.9, 0.995, 1e-9, "cosine", 1, 1, 0));
    }
}
