package io.srwmspark.workers.srwm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The kernels' own vector exp: accurate to a few ulps over the range softmax feeds it. */
class VecExpTest {

    @Test
    void float64MatchesMathExp() {
        int lanes = VecF64.lanes();
        SplittableRandom rng = new SplittableRandom(1);
        double worst = 0;
        double[] x = new double[lanes];
        double[] out = new double[lanes];
        for (int it = 0; it < 20_000; it++) {
            for (int i = 0; i < lanes; i++) {
                x[i] = it % 7 == 0 ? -rng.nextDouble() * 700 : -rng.nextDouble() * 20;
            }
            x[0] = it == 0 ? 0 : x[0];
            VecF64.expNonPositive(DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, x, 0)).intoArray(out, 0);
            for (int i = 0; i < lanes; i++) {
                double ref = Math.exp(x[i]);
                worst = Math.max(worst, Math.abs(out[i] - ref) / ref);
            }
        }
        assertTrue(worst < 5e-16, "worst relative error " + worst);
    }

    @Test
    void float32MatchesMathExp() {
        int lanes = VecF32.lanes();
        SplittableRandom rng = new SplittableRandom(2);
        double worst = 0;
        float[] x = new float[lanes];
        float[] out = new float[lanes];
        for (int it = 0; it < 20_000; it++) {
            for (int i = 0; i < lanes; i++) {
                x[i] = (float) (it % 7 == 0 ? -rng.nextDouble() * 87 : -rng.nextDouble() * 20);
            }
            VecF32.expNonPositive(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(out, 0);
            for (int i = 0; i < lanes; i++) {
                double ref = Math.exp(x[i]);
                worst = Math.max(worst, Math.abs(out[i] - ref) / ref);
            }
        }
        assertTrue(worst < 4e-7, "worst relative error " + worst);
    }

    @Test
    void zeroGivesOneAndTinyInputsClampToTinyOutputs() {
        double[] x = new double[VecF64.lanes()];
        double[] out = new double[x.length];
        x[x.length - 1] = -1e6;
        VecF64.expNonPositive(DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, x, 0)).intoArray(out, 0);
        assertEquals(1.0, out[0], 0.0);
        assertTrue(out[x.length - 1] > 0 && out[x.length - 1] < 1e-300);
    }
}
