package io.srwmspark.workers.dl4j;

import static io.srwmspark.workers.dl4j.SrwmParamInitializer.FF_B1;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.FF_B2;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.FF_W1;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.FF_W2;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.LN2_BETA;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.LN2_GAMMA;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.W0;
import static io.srwmspark.workers.dl4j.SrwmParamInitializer.W_OUT;

import io.srwmspark.workers.nn.FeedForward;
import io.srwmspark.workers.nn.SrwmRlBlock;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Runtime layer of {@link SrwmRlBlockLayer}: {@link SrwmRlBlock} on the layer's parameter views. */
public final class SrwmRlBlockLayerImpl extends AbstractSrwmLayerImpl<SrwmRlBlockLayer, SrwmRlBlock.Forward> {

    SrwmRlBlockLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private SrwmRlBlock block() {
        return new SrwmRlBlock(layerConf().blockConfig(), kernel());
    }

    /** The block's parameters: views of this layer's parameters, not copies. */
    public SrwmRlBlock.Params blockParams() {
        FeedForward.Weights ff = layerConf().getFfSize() == 0 ? null
                : new FeedForward.Weights(getParam(LN2_GAMMA), getParam(LN2_BETA), getParam(FF_W1), getParam(FF_B1),
                        getParam(FF_W2), getParam(FF_B2));
        return new SrwmRlBlock.Params(getParam(W0), getParam(W_OUT), ff);
    }

    @Override
    protected SrwmRlBlock.Forward forward(INDArray h, INDArray initialState, INDArray mask, boolean training,
            long seed) {
        return block().forward(blockParams(), h, initialState, mask, training, seed);
    }

    @Override
    protected INDArray out(SrwmRlBlock.Forward forward) {
        return forward.out();
    }

    @Override
    protected INDArray finalState(SrwmRlBlock.Forward forward) {
        return forward.finalState();
    }

    @Override
    protected INDArray backward(SrwmRlBlock.Forward forward, INDArray gradOut, Map<String, INDArray> grads) {
        SrwmRlBlock.Gradients g = block().backward(blockParams(), forward, gradOut, null);
        forward.release();
        SrwmRlBlock.Params d = g.dParams();
        grads.put(W0, d.weights());
        grads.put(W_OUT, d.wOut());
        if (d.ff() != null) {
            grads.put(LN2_GAMMA, d.ff().lnGamma());
            grads.put(LN2_BETA, d.ff().lnBeta());
            grads.put(FF_W1, d.ff().w1());
            grads.put(FF_B1, d.ff().b1());
            grads.put(FF_W2, d.ff().w2());
            grads.put(FF_B2, d.ff().b2());
        }
        return g.dh();
    }
}
