package io.srwmspark.workers.dl4j;

import io.srwmspark.workers.nn.SrwmBlock;
import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Configuration of the few-shot SRWM block as a DL4J recurrent layer (math: {@link SrwmBlock}):
 * {@code s = LayerNorm(h) + Dropout(SRWM(h) W_out)}, {@code out = s + FF(LayerNorm(s))}. Input and output
 * are (B, D, T) (or (B, T, D) with {@code dataFormat(RNNFormat.NWC)}), D = heads * headSize.
 *
 * <pre>
 *   new SrwmBlockLayer.Builder().heads(16).headSize(16).ffSize(1024).dropout(0.1).build()
 * </pre>
 */
public class SrwmBlockLayer extends AbstractSrwmLayer {

    /** For JSON deserialisation. */
    private SrwmBlockLayer() {
    }

    private SrwmBlockLayer(Builder b) {
        super(b);
    }

    /** The block's configuration (validated). */
    public SrwmBlock.Config blockConfig() {
        return new SrwmBlock.Config(getHeads(), getHeadSize(), getFfSize(), getDropout(), getLayerNormEps());
    }

    @Override
    protected void validateSizes() {
        blockConfig();
    }

    @Override
    protected boolean residualLayerNorm() {
        return true;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
            INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        checkInstantiable(layerIndex);
        SrwmBlockLayerImpl layer = new SrwmBlockLayerImpl(conf, networkDataType);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    /** Builder; heads, headSize and ffSize are required. */
    @SuppressWarnings("unchecked") // Layer.Builder declares the generic <E extends Layer> E build()
    public static class Builder extends AbstractSrwmLayer.Builder<Builder> {
        @Override
        public SrwmBlockLayer build() {
            return new SrwmBlockLayer(this);
        }
    }
}
