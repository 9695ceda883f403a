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

class CpuSrwmKernelReferenceTest {

    static Stream<String> coreCases() {
        return ReferenceCases.names(ReferenceCase.CORE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("coreCases")
    void float64MatchesReference(String name) {
        check(name, DataType.DOUBLE, 1e-9);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("coreCases")
    void float32MatchesReferenceOnShortCases(String name) {
        ReferenceCase c = ReferenceCases.load(name);
        check(name, DataType.FLOAT, c.steps() <= 26 ? 1e-4 : 1e-3);
    }

    private static void check(String name, DataType type, double tol) {
        ReferenceCase c = ReferenceCases.load(name);
        var pool = CpuSrwmKernel.sharedPool();
        for (SrwmKernel kernel : new SrwmKernel[] {new CpuSrwmKernel(), new CpuSrwmKernel(pool, 3),
                new CpuSrwmKernel(pool, 16, false), new CpuSrwmKernel(pool, 1, false)}) {
            Map<String, INDArray> out = ReferenceRunner.run(c, kernel, type);
            for (Map.Entry<String, INDArray> e : out.entrySet()) {
                double err = ReferenceCases.relativeError(e.getValue(), c.array(e.getKey(), DataType.DOUBLE));
                assertTrue(err <= tol, name + " " + type + " " + e.getKey() + ": relative error " + err + " > " + tol);
            }
        }
    }
}
