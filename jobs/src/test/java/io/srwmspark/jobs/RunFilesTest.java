package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** How the driver hands a dataset root to executors. */
class RunFilesTest {

    @Test
    void relativeLocalRootsBecomeAbsoluteForExecutorsThatRunElsewhere() {
        String shipped = RunFiles.shippable(".srwm/data/glyphs-40x6-seed1");
        assertTrue(Path.of(shipped).isAbsolute(), shipped);
        assertEquals(Path.of("").toAbsolutePath().resolve(".srwm/data/glyphs-40x6-seed1").toString(), shipped);
        assertEquals("/data/omniglot", RunFiles.shippable("/data/x/../omniglot"));
    }

    @Test
    void urisAreShippedAsGiven() {
        for (String uri : new String[] {"hdfs://nn:8020/data/omniglot", "s3a://bucket/omniglot", "file:/data/omniglot",
            "file:///data/omniglot"}) {
            assertEquals(uri, RunFiles.shippable(uri));
        }
    }
}
