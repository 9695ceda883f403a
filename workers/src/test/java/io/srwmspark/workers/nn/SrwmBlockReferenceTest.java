package io.srwmspark.workers.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.io.ReferenceCase;
import io.srwmspark.workers.io.ReferenceRunner;
import io.srwmspark.workers.srwm.ReferenceCases;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link SrwmBlock} against the float64 reference vectors of kind {@code block}, with every kernel. */
class SrwmBlockReferenceTest {

    static Stream<Arguments> cases() {
        return ReferenceCases.names(ReferenceCase.BLOCK).flatMap(name -> SrwmKernels.NAMES.stream().flatMap(kernel ->
                Stream.of(Arguments.of(name, kernel, DataType.DOUBLE, 1e-9),
                        Arguments.of(name, kernel, DataType.FLOAT, 1e-4))));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void matchesReference(String name, String kernel, DataType type, double tol) {
        ReferenceCase c = ReferenceCases.load(name);
        Map<String, INDArray> out = ReferenceRunner.run(c, SrwmKernels.byName(kernel), type);
        assertEquals(c.outputs().size(), out.size());
        for (Map.Entry<String, INDArray> e : out.entrySet()) {
            assertEquals(type, e.getValue().dataType(), e.getKey());
            double err = ReferenceCases.relativeError(e.getValue(), c.array(e.getKey(), DataType.DOUBLE));
            assertTrue(err <= tol, name + " " + kernel + " " + type + " " + e.getKey() + ": relative error " + err
                    + " > " + tol);
        }
    }
}
