package io.srwmspark.workers.fewshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.srwmspark.workers.config.Conf;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FewShotSetupTest {

    static FewShotConfig shipped(String name) {
        return FewShotConfig.from(Conf.load(Path.of("..", "conf", name)));
    }

    /** The paper's Omniglot SRWM model: Conv-4 (64), D 256, 16 heads, 2 layers, ff x4. */
    @Test
    void omniglotConfigHasThePapersParameterCount() throws IOException {
        FewShotModel m = FewShotSetup.model(shipped("fewshot-omniglot.conf"), 1, 28, 28);
        assertEquals(1_342_021, m.layout().size());
    }

    /** Every shipped configuration parses (unknown keys and bad values would fail here) and builds its model. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"fewshot-omniglot.conf", "fewshot-synth-demo.conf",
        "fewshot-multitask.conf", "fewshot-multitask-synth.conf"})
    void shippedConfigurationsAreValid(String name) {
        FewShotConfig cfg = shipped(name);
        int c = cfg.data().channels() == 0 ? 1 : cfg.data().channels();
        FewShotModel m = FewShotSetup.model(cfg, c, cfg.data().imageSize(), cfg.data().imageSize());
        org.junit.jupiter.api.Assertions.assertTrue(m.layout().size() > 0);
    }
}
