package io.srwmspark.workers.srwm;

import io.srwmspark.workers.io.ReferenceCase;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The float64 SRWM reference vectors copied into the test resources (generator: docs/reference-check.md). */
public final class ReferenceCases {

    private ReferenceCases() {
    }

    public static Path root() {
        try {
            return Path.of(ReferenceCases.class.getResource("/reference/srwm/core-tiny/case.json").toURI())
                    .getParent().getParent();
        } catch (URISyntaxException ex) {
            throw new IllegalStateException(ex);
        }
    }

    public static ReferenceCase load(String name) {
        return ReferenceCase.load(root().resolve(name));
    }

    /** Names of every case folder of a kind. */
    public static Stream<String> names(String kind) {
        return Arrays.stream(root().toFile().listFiles(java.io.File::isDirectory))
                .map(f -> f.getName()).sorted().filter(n -> load(n).kind().equals(kind));
    }

    /** max |a - b| / max |b|, the tolerance measure of the reference README. */
    public static double relativeError(INDArray actual, INDArray expected) {
        INDArray a = actual.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        INDArray b = expected.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new AssertionError("shape " + Arrays.toString(a.shape()) + " != " + Arrays.toString(b.shape()));
        }
        double scale = b.amaxNumber().doubleValue();
        double diff = a.sub(b).amaxNumber().doubleValue();
        return scale == 0 ? diff : diff / scale;
    }
}
