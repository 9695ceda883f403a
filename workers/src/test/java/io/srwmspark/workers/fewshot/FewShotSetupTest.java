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
}
