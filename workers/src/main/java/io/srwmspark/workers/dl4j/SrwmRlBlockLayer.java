package io.srwmspark.workers.dl4j;

import io.srwmspark.workers.nn.SrwmRlBlock;
import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Configuration of the RL SRWM block as a DL4J recurrent layer (math: {@link SrwmRlBlock}):
 * {@code s = h + Dropout(SRWM(softmax(h) per head) W_out)}, then {@code out = s + FF(LayerNorm(s))} when
 * ffSize &gt; 0 (the paper's agent uses 512), else {@code out = s}. Input and output are (B, D, T) (or
 * (B, T, D) with {@code dataFormat(RNNFormat.NWC)}), D = heads * headSize.
 *
 * <p>Stateful: {@code rnnTimeStep} and truncated BPTT carry the fast weights from one call to the next
 * (detached at call boundaries); {@code rnnClearPreviousState()} restarts from W_0.
 */
public class SrwmRlBlockLayer extends AbstractSrwmLayer {

    /** For JSON deserialisation. */
    private SrwmRlBlockLayer() {
    }

    private SrwmRlBlockLayer(Builder b) {
        super(b);
    }

    /** The block's configuration (validated). */
    public SrwmRlBlock.Config blockConfig() {
        return new SrwmRlBlock.Config(getHeads(), getHeadSize(), getFfSize(), getDropout(), getLayerNormEps());
    }

    @Override
    protected void validateSizes() {
        blockConfig();
    }

    @Override
    protected boolean residualLayerNorm() {
        return false;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
            INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        checkInstantiable(layerIndex);
        SrwmRlBlockLayerImpl layer = new SrwmRlBlockLayerImpl(conf, networkDataType);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    /** Builder; heads and headSize are required, ffSize defaults to 0 (no feed-forward sublayer). */
    @SuppressWarnings("unchecked") // Layer.Builder declares the generic <E extends Layer> E build()
    public static class Builder extends AbstractSrwmLayer.Builder<Builder> {
        @Override
        public SrwmRlBlockLayer build() {
            return new SrwmRlBlockLayer(this);
        }
    }
}
