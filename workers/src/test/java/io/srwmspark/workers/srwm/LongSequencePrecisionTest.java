package io.srwmspark.workers.srwm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.bench.PrecisionBench;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Float32 stays close to float64 over 1000 steps: the backward's undo of the updates does not drift. */
class LongSequencePrecisionTest {

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "nd4j"})
    void float32ErrorAtThousandStepsIsSmall(String kernel) {
        SrwmShape shape = new SrwmShape(1, 2, 1000, 8);
        Map<String, Double> err = PrecisionBench.run(SrwmKernels.byName(kernel), SrwmKernels.byName(kernel), shape, 5);
        for (Map.Entry<String, Double> e : err.entrySet()) {
            assertTrue(e.getValue() < 1e-4, kernel + " " + e.getKey() + ": float32 relative error " + e.getValue());
        }
    }
}
