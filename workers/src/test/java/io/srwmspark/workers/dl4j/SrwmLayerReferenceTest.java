package io.srwmspark.workers.dl4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.io.ReferenceCase;
import io.srwmspark.workers.nn.SrwmBlock;
import io.srwmspark.workers.srwm.FastWeights;
import io.srwmspark.workers.srwm.ReferenceCases;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * {@link SrwmBlockLayer} on the block reference vectors, with the reference's parameters loaded into the
 * layer: its forward equals {@link SrwmBlock}'s and the reference output, its backward the reference
 * gradients (float64, 1e-9 relative), with every kernel.
 */
class SrwmLayerReferenceTest {

    private static final double TOL = 1e-9;

    static Stream<Arguments> cases() {
        return ReferenceCases.names(ReferenceCase.BLOCK)
                .flatMap(name -> SrwmKernels.NAMES.stream().map(kernel -> Arguments.of(name, kernel)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void layerMatchesBlockAndReference(String name, String kernel) {
        ReferenceCase c = ReferenceCases.load(name);
        DataType f64 = DataType.DOUBLE;
        int d = c.heads() * c.headSize();
        SrwmBlockLayer conf = new SrwmBlockLayer.Builder().heads(c.heads()).headSize(c.headSize()).ffSize(c.ffSize())
                .layerNormEps(c.lnEps()).kernel(kernel).build();
        ComputationGraph g = new ComputationGraph(SrwmGraphs.config(conf, d, 2, RNNFormat.NCW, new NoOp(),
                WorkspaceMode.ENABLED, null));
        g.init();
        g.initGradientsView();
        Layer layer = g.getLayer(SrwmGraphs.SRWM);
        layer.getParam(SrwmParamInitializer.W0).assign(FastWeights.pack(c.array("w_y", f64), c.array("w_q", f64),
                c.array("w_k", f64), c.array("w_b", f64)));
        Map<String, String> names = Map.of(SrwmParamInitializer.W_OUT, "w_out", SrwmParamInitializer.LN1_GAMMA,
                "ln1_gamma", SrwmParamInitializer.LN1_BETA, "ln1_beta", SrwmParamInitializer.LN2_GAMMA, "ln2_gamma",
                SrwmParamInitializer.LN2_BETA, "ln2_beta", SrwmParamInitializer.FF_W1, "ff_w1",
                SrwmParamInitializer.FF_B1, "ff_b1", SrwmParamInitializer.FF_W2, "ff_w2", SrwmParamInitializer.FF_B2,
                "ff_b2");
        names.forEach((key, ref) -> layer.getParam(key).assign(c.array(ref, f64)));

        INDArray x = c.array("h", f64).permute(1, 2, 0).dup('c');                  // (T,B,D) -> (B,D,T)
        INDArray expected = c.array("out", f64).permute(1, 2, 0);
        // Through the graph (workspaces on) and through SrwmBlock directly.
        INDArray viaGraph = g.feedForward(x, false).get(SrwmGraphs.SRWM);
        check("graph out", viaGraph, expected);
        SrwmBlock block = new SrwmBlock(conf.blockConfig(), SrwmKernels.byName(kernel));
        INDArray viaBlock = block.forward(((SrwmBlockLayerImpl) layer).blockParams(), x.permute(0, 2, 1).dup('c'),
                null, null, false, 0).out().permute(0, 2, 1);
        check("block out", viaGraph, viaBlock);

        // Backward of the layer alone, outside workspaces.
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(x, mgr);
        check("layer out", layer.activate(true, mgr), expected);
        Pair<Gradient, INDArray> bp = layer.backpropGradient(c.array("grad_out", f64).permute(1, 2, 0).dup('c'), mgr);
        check("dh", bp.getSecond(), c.array("dh", f64).permute(1, 2, 0));
        Map<String, INDArray> grads = bp.getFirst().gradientForVariable();
        INDArray dw0 = grads.get(SrwmParamInitializer.W0);
        String[] blocks = {"dw_y", "dw_q", "dw_k", "dw_b"};
        for (int p = 0; p < 4; p++) {
            check(blocks[p], FastWeights.block(dw0, p), c.array(blocks[p], f64));
        }
        names.forEach((key, ref) -> check("d" + ref, grads.get(key), c.array("d" + ref, f64)));
    }

    private static void check(String what, INDArray actual, INDArray expected) {
        double err = ReferenceCases.relativeError(actual, expected);
        assertTrue(err <= TOL, what + ": relative error " + err + " > " + TOL);
    }
}
