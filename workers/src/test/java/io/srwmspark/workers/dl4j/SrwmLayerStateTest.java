package io.srwmspark.workers.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.dl4j.SrwmGraphs.Shape;
import io.srwmspark.workers.nn.SrwmRlBlock;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.util.Random;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;

/** Carried fast weights (rnnTimeStep, truncated BPTT), data formats and workspace modes of both SRWM layers. */
class SrwmLayerStateTest {

    private static final Shape SHAPE = new Shape("state", 2, 2, 3, 5, 4, false);

    private static INDArray steps(INDArray x, int from, int to) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to)).dup('c');
    }

    @ParameterizedTest(name = "rl = {0}")
    @ValueSource(booleans = {false, true})
    void rnnTimeStepCarriesTheFastWeights(boolean rl) {
        Random rng = new Random(rl ? 51 : 52);
        ComputationGraph g = SrwmGraphs.graph(rl, SHAPE);
        SrwmGraphs.perturb(g, rng, 0.1);
        INDArray x = SrwmGraphs.randn(rng, 1.0, SHAPE.batch(), SHAPE.width(), SHAPE.steps());
        INDArray whole = g.outputSingle(x);
        INDArray a = g.rnnTimeStep(steps(x, 0, 2))[0];
        INDArray state = g.rnnGetPreviousState(SrwmGraphs.SRWM).get(AbstractSrwmLayerImpl.STATE_KEY);
        assertArrayEquals(new long[] {SHAPE.batch(), SHAPE.heads(), SHAPE.headSize(), 3L * SHAPE.headSize() + 4},
                state.shape());
        assertTrue(!state.isAttached(), "carried state must live outside workspaces");
        INDArray b = g.rnnTimeStep(steps(x, 2, 3))[0];
        INDArray c = g.rnnTimeStep(steps(x, 3, SHAPE.steps()))[0];
        INDArray stitched = Nd4j.concat(2, a, b, c);
        assertTrue(whole.equalsWithEps(stitched, 1e-12), "stepwise output differs from one call");
        // Clearing the state restarts from W_0.
        g.rnnClearPreviousState();
        assertTrue(steps(whole, 0, 2).equalsWithEps(g.rnnTimeStep(steps(x, 0, 2))[0], 1e-12));
        // A different batch size without clearing is misuse.
        assertThrows(IllegalStateException.class, () -> g.rnnTimeStep(SrwmGraphs.randn(rng, 1.0, 3, SHAPE.width(), 1)));
    }

    @Test
    void truncatedBpttCarriesStateAndMatchesTheBlock() {
        Random rng = new Random(53);
        Shape s = new Shape("tbptt", 2, 2, 3, 6, 4, false);
        ComputationGraph g = SrwmGraphs.graph(true, s);
        SrwmGraphs.perturb(g, rng, 0.1);
        g.initGradientsView();
        SrwmRlBlockLayerImpl layer = (SrwmRlBlockLayerImpl) g.getLayer(SrwmGraphs.SRWM);
        INDArray x = SrwmGraphs.randn(rng, 1.0, s.batch(), s.width(), s.steps());
        INDArray eps = SrwmGraphs.randn(rng, 1.0, s.batch(), s.width(), 3);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.rnnClearPreviousState();
        layer.rnnActivateUsingStoredState(steps(x, 0, 3), true, true, mgr);
        INDArray out2 = layer.rnnActivateUsingStoredState(steps(x, 3, 6), true, true, mgr);
        Pair<Gradient, INDArray> bp = layer.tbpttBackpropGradient(eps, 3, mgr);

        SrwmRlBlock block = new SrwmRlBlock(layer.layerConf().blockConfig(), SrwmKernels.byName("cpu"));
        SrwmRlBlock.Params p = layer.blockParams();
        SrwmRlBlock.Forward f1 = block.forward(p, steps(x, 0, 3).permute(0, 2, 1).dup('c'), null, null, true, 0);
        SrwmRlBlock.Forward f2 = block.forward(p, steps(x, 3, 6).permute(0, 2, 1).dup('c'), f1.finalState(), null,
                true, 0);
        SrwmRlBlock.Gradients g2 = block.backward(p, f2, eps.permute(0, 2, 1).dup('c'), null);
        assertTrue(out2.equalsWithEps(f2.out().permute(0, 2, 1), 1e-12));
        assertTrue(bp.getSecond().equalsWithEps(g2.dh().permute(0, 2, 1), 1e-12));
        assertTrue(bp.getFirst().getGradientFor(SrwmParamInitializer.W_OUT).equalsWithEps(g2.dParams().wOut(), 1e-12));
        assertEquals(0.0, bp.getFirst().getGradientFor(SrwmParamInitializer.W0).amaxNumber().doubleValue(),
                "W_0 gets no gradient through a carried (detached) state");
        assertThrows(IllegalArgumentException.class, () -> layer.tbpttBackpropGradient(eps, 2, mgr));

        // And a network trains with truncated BPTT.
        ComputationGraph t = new ComputationGraph(SrwmGraphs.config(SrwmGraphs.layer(true, s, RNNFormat.NCW),
                s.width(), 2, RNNFormat.NCW, null, null, new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                        .seed(7).updater(new Sgd(0.05)).graphBuilder().backpropType(BackpropType.TruncatedBPTT)
                        .tBPTTForwardLength(3).tBPTTBackwardLength(3)));
        t.init();
        INDArray before = t.params().dup();
        INDArray y = SrwmGraphs.randn(rng, 1.0, s.batch(), 2, s.steps());
        t.fit(new DataSet(x, y));
        t.fit(new DataSet(x, y));
        assertNotEquals(before, t.params());
        assertTrue(Double.isFinite(t.score()));
    }

    @ParameterizedTest(name = "rl = {0}")
    @ValueSource(booleans = {false, true})
    void workspaceModesAndDataFormatsAgree(boolean rl) {
        Random rng = new Random(rl ? 54 : 55);
        INDArray x = SrwmGraphs.randn(rng, 1.0, SHAPE.batch(), SHAPE.width(), SHAPE.steps());
        INDArray y = SrwmGraphs.randn(rng, 1.0, SHAPE.batch(), 2, SHAPE.steps());
        INDArray mask = SrwmGraphs.raggedMask(SHAPE.batch(), SHAPE.steps());
        Gradient[] grads = new Gradient[3];
        INDArray[] outs = new INDArray[3];
        WorkspaceMode[] modes = {WorkspaceMode.ENABLED, WorkspaceMode.NONE, WorkspaceMode.ENABLED};
        RNNFormat[] formats = {RNNFormat.NCW, RNNFormat.NCW, RNNFormat.NWC};
        for (int i = 0; i < 3; i++) {
            ComputationGraph g = new ComputationGraph(SrwmGraphs.config(SrwmGraphs.layer(rl, SHAPE, formats[i]),
                    SHAPE.width(), 2, formats[i], new NoOp(), modes[i], null));
            g.init();
            g.params().addi(SrwmGraphs.randn(new Random(9), 0.1, g.params().shape()));
            INDArray xi = formats[i] == RNNFormat.NWC ? x.permute(0, 2, 1).dup('c') : x;
            INDArray yi = formats[i] == RNNFormat.NWC ? y.permute(0, 2, 1).dup('c') : y;
            g.setLayerMaskArrays(new INDArray[] {mask}, new INDArray[] {mask});
            g.setInputs(xi);
            g.setLabels(yi);
            g.computeGradientAndScore();
            grads[i] = g.gradient();
            INDArray out = g.outputSingle(false, xi);
            outs[i] = formats[i] == RNNFormat.NWC ? out.permute(0, 2, 1) : out;
        }
        for (int i = 1; i < 3; i++) {
            assertTrue(outs[0].equalsWithEps(outs[i], 1e-12), "output of case " + i);
            assertTrue(grads[0].gradient().equalsWithEps(grads[i].gradient(), 1e-12), "gradient of case " + i);
        }
        Layer layer = SrwmGraphs.graph(rl, SHAPE).getLayer(SrwmGraphs.SRWM);
        assertEquals(Layer.Type.RECURRENT, layer.type());
    }
    @ParameterizedTest(name = "rl = {0}")
    @ValueSource(booleans = {false, true})
    void dropoutActsInTrainingOnly(boolean rl) {
        Random rng = new Random(rl ? 56 : 57);
        AbstractSrwmLayer conf = rl
                ? new SrwmRlBlockLayer.Builder().heads(2).headSize(3).ffSize(4).dropout(0.5).build()
                : new SrwmBlockLayer.Builder().heads(2).headSize(3).ffSize(4).dropout(0.5).build();
        ComputationGraph g = new ComputationGraph(SrwmGraphs.config(conf, SHAPE.width(), 2, RNNFormat.NCW,
                new Sgd(0.01), WorkspaceMode.ENABLED, null));
        g.init();
        INDArray x = SrwmGraphs.randn(rng, 1.0, SHAPE.batch(), SHAPE.width(), SHAPE.steps());
        INDArray y = SrwmGraphs.randn(rng, 1.0, SHAPE.batch(), 2, SHAPE.steps());
        INDArray inference = g.outputSingle(false, x);
        assertEquals(inference, g.outputSingle(false, x));
        INDArray train1 = g.outputSingle(true, x);
        INDArray train2 = g.outputSingle(true, x);
        assertNotEquals(inference, train1);
        assertNotEquals(train1, train2, "each training call draws fresh masks");
        INDArray before = g.params().dup();
        g.fit(new DataSet(x, y));
        assertNotEquals(before, g.params());
        assertTrue(Double.isFinite(g.score()));
    }
}
