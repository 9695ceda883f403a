package io.srwmspark.workers.io;

import io.srwmspark.workers.nn.FeedForward;
import io.srwmspark.workers.nn.SrwmBlock;
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

    /**
     * Kind {@code block}: h, out and grad_out are (T, B, D) time-major, linear weights (in, out). Runs
     * {@link SrwmBlock} without dropout on h seen as (B, T, D) and backpropagates grad_out.
     */
    private static Map<String, INDArray> block(ReferenceCase c, SrwmKernel kernel, DataType type) {
        SrwmBlock block = new SrwmBlock(new SrwmBlock.Config(c.heads(), c.headSize(), c.ffSize(), 0.0, c.lnEps()),
                kernel);
        INDArray weights = FastWeights.pack(c.array("w_y", type), c.array("w_q", type), c.array("w_k", type),
                c.array("w_b", type));
        FeedForward.Weights ff = new FeedForward.Weights(c.array("ln2_gamma", type), c.array("ln2_beta", type),
                c.array("ff_w1", type), c.array("ff_b1", type), c.array("ff_w2", type), c.array("ff_b2", type));
        SrwmBlock.Params p = new SrwmBlock.Params(weights, c.array("w_out", type), c.array("ln1_gamma", type),
                c.array("ln1_beta", type), ff);
        INDArray h = swapTimeAndBatch(c.array("h", type));                                   // (B, T, D)
        SrwmBlock.Forward fwd = block.forward(p, h, null, null, true, 0L);
        SrwmBlock.Gradients g = block.backward(p, fwd, swapTimeAndBatch(c.array("grad_out", type)), null);
        Map<String, INDArray> m = new HashMap<>();
        m.put("out", swapTimeAndBatch(fwd.out()));                                            // (T, B, D)
        m.put("dh", swapTimeAndBatch(g.dh()));
        String[] names = {"y", "q", "k", "b"};
        for (int i = 0; i < 4; i++) {
            m.put("dw_" + names[i], FastWeights.block(g.dParams().weights(), i));
        }
        m.put("dw_out", g.dParams().wOut());
        m.put("dln1_gamma", g.dParams().ln1Gamma());
        m.put("dln1_beta", g.dParams().ln1Beta());
        FeedForward.Weights dff = g.dParams().ff();
        m.put("dln2_gamma", dff.lnGamma());
        m.put("dln2_beta", dff.lnBeta());
        m.put("dff_w1", dff.w1());
        m.put("dff_b1", dff.b1());
        m.put("dff_w2", dff.w2());
        m.put("dff_b2", dff.b2());
        return m;
    }

    /** (T, B, D) to (B, T, D) and back: a c-ordered copy. */
    private static INDArray swapTimeAndBatch(INDArray a) {
        return a.permute(1, 0, 2).dup('c');
    }
}
