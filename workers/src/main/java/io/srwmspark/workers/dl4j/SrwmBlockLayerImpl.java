package io.srwmspark.workers.dl4j;

import static io.srwmspark.workers.dl4j.SrwmParamInitializer.FF_B1;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.FF_B2;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.FF_W1;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.FF_W2;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.LN1_BETA;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.LN1_GAMMA;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.LN2_BETA;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.LN2_GAMMA;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.W0;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.W_OUT;

import io.srwmspark.workers.nn.FeedForward;
import io.srwmspark.workers.nn.SrwmBlock;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Runtime layer of {@link SrwmBlockLayer}: {@link SrwmBlock} on the layer's parameter views. */
public final class SrwmBlockLayerImpl extends AbstractSrwmLayerImpl<SrwmBlockLayer, SrwmBlock.Forward> {

    SrwmBlockLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private SrwmBlock block() {
        return new SrwmBlock(layerConf().blockConfig(), kernel());
    }

    /** The block's parameters: views of this layer's parameters, not copies. */
    public SrwmBlock.Params blockParams() {
        return new SrwmBlock.Params(getParam(W0), getParam(W_OUT), getParam(LN1_GAMMA), getParam(LN1_BETA),
                new FeedForward.Weights(getParam(LN2_GAMMA), getParam(LN2_BETA), getParam(FF_W1), getParam(FF_B1),
                        getParam(FF_W2), getParam(FF_B2)));
    }

    @Override
    protected SrwmBlock.Forward forward(INDArray h, INDArray initialState, INDArray mask, boolean training,
            long seed) {
        return block().forward(blockParams(), h, initialState, mask, training, seed);
    }

    @Override
    protected INDArray out(SrwmBlock.Forward forward) {
        return forward.out();
    }

    @Override
    protected INDArray finalState(SrwmBlock.Forward forward) {
        return forward.finalState();
    }

    @Override
    protected INDArray backward(SrwmBlock.Forward forward, INDArray gradOut, Map<String, INDArray> grads) {
        SrwmBlock.Gradients g = block().backward(blockParams(), forward, gradOut, null);
        forward.release();
        SrwmBlock.Params d = g.dParams();
        grads.put(W0, d.weights());
        grads.put(W_OUT, d.wOut());
        grads.put(LN1_GAMMA, d.ln1Gamma());
        grads.put(LN1_BETA, d.ln1Beta());
        grads.put(LN2_GAMMA, d.ff().lnGamma());
        grads.put(LN2_BETA, d.ff().lnBeta());
        grads.put(FF_W1, d.ff().w1());
        grads.put(FF_B1, d.ff().b1());
        grads.put(FF_W2, d.ff().w2());
        grads.put(FF_B2, d.ff().b2());
        return g.dh();
    }
}
