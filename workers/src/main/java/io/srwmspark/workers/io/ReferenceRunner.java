package io.srwmspark.workers.io;

import io.srwmspark.workers.srwm.FastWeights;
import io.srwmspark.workers.srwm.SrwmGradients;
import io.srwmspark.workers.srwm.SrwmInput;
import io.srwmspark.workers.srwm.SrwmKernel;
import io.srwmspark.workers.srwm.SrwmOutput;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Computes the outputs a {@link ReferenceCase} lists, with a given kernel and floating-point type. */
public final class ReferenceRunner {

    private ReferenceRunner() {
    }

    /** Every output the case lists, by name, in {@code type}. */
    public static Map<String, INDArray> run(ReferenceCase c, SrwmKernel kernel, DataType type) {
        Map<String, INDArray> all = ReferenceCase.CORE.equals(c.kind()) ? core(c, kernel, type) : block(c, kernel, type);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (String name : c.outputs()) {
            INDArray a = all.get(name);
            if (a == null) {
                throw new IllegalArgumentException(c.dir().resolve("case.json") + ": cannot compute output '" + name
                        + "' for kind " + c.kind());
            }
            out.put(name, a);
        }
        return out;
    }

    private static Map<String, INDArray> core(ReferenceCase c, SrwmKernel kernel, DataType type) {
        INDArray weights = FastWeights.pack(c.array("w_y", type), c.array("w_q", type), c.array("w_k", type),
                c.array("w_b", type));
        SrwmInput in = new SrwmInput(c.array("x", type), weights, null, null, c.inputSoftmax());
        SrwmOutput fwd = kernel.forward(in, true);
        SrwmGradients g = kernel.backward(in, fwd, c.array("grad_out", type), null);
        Map<String, INDArray> m = new HashMap<>();
        m.put("y", fwd.y());
        String[] names = {"y", "q", "k", "b"};
        for (int p = 0; p < 4; p++) {
            m.put("final_w_" + names[p], FastWeights.block(fwd.finalState(), p));
            m.put("dw_" + names[p], FastWeights.block(g.dWeights(), p));
        }
        m.put("dx", g.dx());
        return m;
    }

    private static Map<String, INDArray> block(ReferenceCase c, SrwmKernel kernel, DataType type) {
        throw new IllegalArgumentException(c.dir() + ": kind 'block' is not supported yet");
    }
}
