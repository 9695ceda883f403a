package io.srwmspark.workers.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class HostParallelismTest {

    /** Each chain converges to its fixed point x = seed, so the work cannot be skipped or diverge. */
    @Test
    void theChainConvergesToItsSeed() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        assertEquals(2f, HostParallelism.chain(50_000, 2f) / (4 * lanes), 1e-3f);
        assertEquals(4 * lanes * 1.5f + lanes * (1 + 2 + 3), HostParallelism.chain(0, 1.5f), 1e-4f);
    }

    @Test
    void aReadingIsAPositiveRatioAndBadArgumentsAreRefused() throws Exception {
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            // runs of ~2 ms each, long against a thread's wake-up; the first reading warms the chain up itself
            double e = HostParallelism.efficiency(two, 2_000_000);
            assertTrue(e > 0.2 && e < 3, "efficiency " + e);
            assertThrows(IllegalArgumentException.class, () -> HostParallelism.efficiency(two, 0));
        } finally {
            two.shutdown();
        }
    }
}
