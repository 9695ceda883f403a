package io.srwmspark.workers.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.fewshot.FewShotConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfTest {

    @Test
    void parsesOverridesAndRendersTheEffectiveConfig() {
        Conf c = Conf.parse("# comment\nmodel.width = 128   # trailing\n\nmodel.heads=8\n", "test.conf")
                .with(List.of("train.lr=0.002"));
        FewShotConfig f = FewShotConfig.from(c);
        assertEquals(128, f.model().width());
        assertEquals(16, f.model().headSize());
        assertEquals(0.002, f.train().adam().lr(), 0);
        String eff = c.effective();
        assertTrue(eff.contains("model.width = 128\n") && eff.contains("episode.ways = 5\n"), eff);
        FewShotConfig again = FewShotConfig.from(Conf.parse(eff, "effective"));
        assertEquals(f, again);
    }

    @Test
    void unknownKeysAreRejectedWithWhereTheyCameFrom() {
        Conf c = Conf.parse("model.widht = 128\n", "x.conf");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FewShotConfig.from(c));
        assertTrue(e.getMessage().contains("model.widht (x.conf:1)") && e.getMessage().contains("model.width"),
                e.getMessage());
    }

    @Test
    void badValuesNameTheKeyAndRange() {
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
                () -> FewShotConfig.from(Conf.parse("episode.ways = 1", "a.conf")));
        assertTrue(a.getMessage().contains("episode.ways") && a.getMessage().contains("a.conf:1"), a.getMessage());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                () -> FewShotConfig.from(Conf.parse("model.sequence = gru", "b.conf")));
        assertTrue(b.getMessage().contains("srwm, deltanet, lstm"), b.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> FewShotConfig.from(Conf.parse("model.width = 100\nmodel.heads = 16", "c.conf")));
        assertTrue(c.getMessage().contains("multiple of model.heads"), c.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conf.parse("just words", "d.conf"));
        assertThrows(IllegalArgumentException.class, () -> Conf.empty().with(List.of("noequals")));
    }
}
