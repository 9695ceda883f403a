package io.srwmspark.workers.dl4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.dl4j.SrwmGraphs.Shape;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's own gradient check (float64 central differences, no-op updater) on input -> SRWM layer ->
 * RnnOutputLayer (MSE), for both layers and the edge cases T = 1, batch 1, one head, and ragged masks.
 */
class SrwmLayerGradientCheckTest {

    private static DataType savedDefault;
    private static DataType savedFloatingPoint;

    /** GradientCheckUtil insists on a float64 global default; set it for this class only, then restore it. */
    @BeforeAll
    static void useDoubleDefaults() {
        savedDefault = Nd4j.dataType();
        savedFloatingPoint = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restoreDefaults() {
        Nd4j.setDefaultDataTypes(savedDefault, savedFloatingPoint);
    }

    static Stream<Arguments> cases() {
        Shape[] supervised = {
            new Shape("T=1", 2, 2, 2, 1, 3, false),
            new Shape("batch 1", 1, 2, 3, 4, 3, false),
            new Shape("one head", 2, 1, 4, 3, 3, false),
            new Shape("masked", 3, 2, 3, 5, 4, true),
            new Shape("normal", 3, 2, 3, 5, 4, false),
        };
        Shape[] rl = {
            new Shape("T=1", 2, 2, 2, 1, 0, false),
            new Shape("batch 1", 1, 2, 3, 4, 3, false),
            new Shape("one head", 2, 1, 4, 3, 0, false),
            new Shape("masked", 3, 2, 3, 5, 4, true),
            new Shape("normal", 3, 2, 3, 5, 0, false),
        };
        return Stream.concat(Stream.of(supervised).map(s -> Arguments.of("SrwmBlockLayer", s)),
                Stream.of(rl).map(s -> Arguments.of("SrwmRlBlockLayer", s)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void gradientsMatchFiniteDifferences(String layer, Shape s) {
        boolean isRl = layer.equals("SrwmRlBlockLayer");
        Random rng = new Random(31L * s.name().hashCode() + (isRl ? 1 : 0));
        ComputationGraph g = SrwmGraphs.graph(isRl, s);
        SrwmGraphs.perturb(g, rng, 0.1);
        INDArray x = SrwmGraphs.randn(rng, 1.0, s.batch(), s.width(), s.steps());
        INDArray y = SrwmGraphs.randn(rng, 1.0, s.batch(), 2, s.steps());
        INDArray[] masks = s.masked() ? new INDArray[] {SrwmGraphs.raggedMask(s.batch(), s.steps())} : null;
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig()
                .net(g)
                .inputs(new INDArray[] {x})
                .labels(new INDArray[] {y})
                .inputMask(masks)
                .labelMask(masks)
                .epsilon(1e-6)
                .maxRelError(1e-5)
                .minAbsoluteError(1e-8)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
                .exitOnFirstError(false));
        assertTrue(ok, layer + " " + s + ": gradient check failed (see log)");
    }
}
