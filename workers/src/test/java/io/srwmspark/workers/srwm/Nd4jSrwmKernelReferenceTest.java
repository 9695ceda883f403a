package io.srwmspark.workers.srwm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.io.ReferenceCase;
import io.srwmspark.workers.io.ReferenceRunner;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link Nd4jSrwmKernel} against the float64 reference vectors, with the default segment and with segment 3. */
class Nd4jSrwmKernelReferenceTest {

    static Stream<String> coreCases() {
        return ReferenceCases.names(ReferenceCase.CORE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("coreCases")
    void float64MatchesReference(String name) {
        check(name, DataType.DOUBLE, 1e-9);
    }

    /** 1e-4 up to T = 26 (the Omniglot episode length); the 120-step case shows how float32 error grows. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("coreCases")
    void float32MatchesReferenceOnShortCases(String name) {
        ReferenceCase c = ReferenceCases.load(name);
        check(name, DataType.FLOAT, c.steps() <= 26 ? 1e-4 : 1e-3);
    }

    private static void check(String name, DataType type, double tol) {
        ReferenceCase c = ReferenceCases.load(name);
        for (SrwmKernel kernel : new SrwmKernel[] {new Nd4jSrwmKernel(), new Nd4jSrwmKernel(3)}) {
            Map<String, INDArray> out = ReferenceRunner.run(c, kernel, type);
            for (Map.Entry<String, INDArray> e : out.entrySet()) {
                assertTrue(e.getValue().dataType() == type, name + " " + e.getKey() + " is " + e.getValue().dataType());
                double err = ReferenceCases.relativeError(e.getValue(), c.array(e.getKey(), DataType.DOUBLE));
                assertTrue(err <= tol, name + " " + type + " " + e.getKey() + ": relative error " + err + " > " + tol);
            }
        }
    }
}
