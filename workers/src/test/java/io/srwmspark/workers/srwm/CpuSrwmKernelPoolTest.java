package io.srwmspark.workers.srwm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.srwmspark.workers.rng.Seeds;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Released tapes give their arrays to later calls; reuse must not change any result. */
class CpuSrwmKernelPoolTest {

    enum Type {
        FLOAT32(DataType.FLOAT), FLOAT64(DataType.DOUBLE);

        final DataType type;

        Type(DataType type) {
            this.type = type;
        }
    }

    @ParameterizedTest
    @EnumSource(Type.class)
    void reusedArraysGiveIdenticalResults(Type t) {
        CpuSrwmKernel kernel = new CpuSrwmKernel();
        INDArray x = Seeds.gaussian(t.type, 1, 1, 3, 2, 21, 4);
        INDArray gy = Seeds.gaussian(t.type, 2, 1, 3, 2, 21, 4);
        INDArray w = FastWeights.init(2, 4, t.type, 3);
        INDArray mask = Nd4j.ones(t.type, 3, 21);
        mask.putScalar(1, 20, 0);
        SrwmInput in = new SrwmInput(x, w, null, mask, false);
        SrwmOutput first = kernel.forward(in, true);
        SrwmGradients g1 = kernel.backward(in, first, gy, null);
        first.tape().release();
        // a different call in between dirties the pooled arrays
        SrwmInput other = SrwmInput.of(Seeds.gaussian(t.type, 9, 5, 3, 2, 21, 4), w);
        SrwmOutput o = kernel.forward(other, true);
        kernel.backward(other, o, gy, null);
        o.tape().release();
        SrwmOutput second = kernel.forward(in, true);
        SrwmGradients g2 = kernel.backward(in, second, gy, null);
        assertEquals(first.y(), second.y());
        assertEquals(first.finalState(), second.finalState());
        assertEquals(g1.dx(), g2.dx());
        assertEquals(g1.dWeights(), g2.dWeights());
    }

    @ParameterizedTest
    @EnumSource(Type.class)
    void backwardAfterReleaseIsRefused(Type t) {
        CpuSrwmKernel kernel = new CpuSrwmKernel();
        SrwmInput in = SrwmInput.of(Seeds.gaussian(t.type, 1, 1, 1, 1, 3, 2), FastWeights.init(1, 2, t.type, 1));
        SrwmOutput out = kernel.forward(in, true);
        out.tape().release();
        INDArray gy = Nd4j.ones(t.type, 1, 1, 3, 2);
        assertThrows(IllegalStateException.class, () -> kernel.backward(in, out, gy, null));
    }
}
