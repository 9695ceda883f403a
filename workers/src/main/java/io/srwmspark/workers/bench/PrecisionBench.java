package io.srwmspark.workers.bench;

import io.srwmspark.workers.rng.Seeds;
import io.srwmspark.workers.srwm.FastWeights;
import io.srwmspark.workers.srwm.SrwmGradients;
import io.srwmspark.workers.srwm.SrwmInput;
import io.srwmspark.workers.srwm.SrwmKernel;
import io.srwmspark.workers.srwm.SrwmOutput;
import io.srwmspark.workers.srwm.SrwmShape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Float32 error of a kernel against a float64 run of the same kernel on the same random inputs: for every
 * output, max |f32 - f64| / max |f64|. Long sequences show whether the backward's undo of the updates drifts.
 */
public final class PrecisionBench {

    private PrecisionBench() {
    }

    /** Relative error of y, the final state, dx and dW_0, in that order. */
    public static Map<String, Double> run(SrwmKernel float32Kernel, SrwmKernel float64Kernel, SrwmShape shape,
            long seed) {
        INDArray x = Seeds.gaussian(DataType.DOUBLE, Seeds.derive(seed, 0), 1,
                shape.batch(), shape.heads(), shape.steps(), shape.headSize());
        INDArray gy = Seeds.gaussian(DataType.DOUBLE, Seeds.derive(seed, 1), 1,
                shape.batch(), shape.heads(), shape.steps(), shape.headSize());
        INDArray w = FastWeights.init(shape.heads(), shape.headSize(), DataType.DOUBLE, seed);
        Map<String, INDArray> ref = outputs(float64Kernel, x, w, gy);
        Map<String, INDArray> f32 = outputs(float32Kernel, x.castTo(DataType.FLOAT), w.castTo(DataType.FLOAT),
                gy.castTo(DataType.FLOAT));
        Map<String, Double> err = new LinkedHashMap<>();
        for (String k : ref.keySet()) {
            INDArray r = ref.get(k);
            double scale = r.amaxNumber().doubleValue();
            double diff = f32.get(k).castTo(DataType.DOUBLE).sub(r).amaxNumber().doubleValue();
            err.put(k, scale == 0 ? diff : diff / scale);
        }
        return err;
    }

    private static Map<String, INDArray> outputs(SrwmKernel kernel, INDArray x, INDArray w, INDArray gy) {
        SrwmInput in = SrwmInput.of(x, w);
        SrwmOutput out = kernel.forward(in, true);
        SrwmGradients g = kernel.backward(in, out, gy, null);
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("y", out.y());
        m.put("final_state", out.finalState());
        m.put("dx", g.dx());
        m.put("dW0", g.dWeights());
        return m;
    }
}
