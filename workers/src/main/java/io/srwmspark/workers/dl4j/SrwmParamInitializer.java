package io.srwmspark.workers.dl4j;

import io.srwmspark.workers.srwm.FastWeights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Parameters of the SRWM layers as views of the layer's flat parameter (and gradient) vector, in this order:
 * <pre>
 *   w0        (H, E, 3E+4)   SRWM initial matrix, packed [W_y|W_q|W_k|W_b]     weight
 *   wOut      (D, D)         output projection (in, out)                         weight
 *   ln1Gamma  (D), ln1Beta (D)   residual-branch layer norm (few-shot block only)    bias
 *   ln2Gamma  (D), ln2Beta (D)   feed-forward layer norm (when F &gt; 0)             bias
 *   ffW1      (D, F), ffB1 (F), ffW2 (F, D), ffB2 (D)   (when F &gt; 0)             weights / biases
 * </pre>
 * Keys have no underscore: DL4J names a parameter {@code layerName_key} and splits that name at an underscore.
 * Initialisation, all from java.util random streams so that a seed gives the same parameters on every
 * backend: w0 exactly as {@link FastWeights#init} (Normal(0, 1/sqrt(E))); w_out, ff_w1 and ff_w2 Xavier
 * uniform, U(-a, a) with a = sqrt(6 / (fanIn + fanOut)); layer-norm gammas 1; betas and biases 0. Layer norms
 * count as biases (no weight decay, bias updater).
 */
public final class SrwmParamInitializer implements ParamInitializer {

    public static final String W0 = "w0";
    public static final String W_OUT = "wOut";
    public static final String LN1_GAMMA = "ln1Gamma";
    public static final String LN1_BETA = "ln1Beta";
    public static final String LN2_GAMMA = "ln2Gamma";
    public static final String LN2_BETA = "ln2Beta";
    public static final String FF_W1 = "ffW1";
    public static final String FF_B1 = "ffB1";
    public static final String FF_W2 = "ffW2";
    public static final String FF_B2 = "ffB2";

    private static final List<String> WEIGHTS = List.of(W0, W_OUT, FF_W1, FF_W2);
    private static final SrwmParamInitializer INSTANCE = new SrwmParamInitializer();

    /** One parameter: its key and shape. */
    private record Entry(String key, long[] shape) {
        long length() {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return n;
        }
    }

    private SrwmParamInitializer() {
    }

    public static SrwmParamInitializer getInstance() {
        return INSTANCE;
    }

    private static AbstractSrwmLayer srwm(Layer layer) {
        if (!(layer instanceof AbstractSrwmLayer c)) {
            throw new IllegalArgumentException("SrwmParamInitializer handles SRWM layers only, got "
                    + (layer == null ? "null" : layer.getClass().getName()));
        }
        return c;
    }

    private static List<Entry> layout(Layer layer) {
        AbstractSrwmLayer c = srwm(layer);
        long h = c.getHeads();
        long e = c.getHeadSize();
        long d = h * e;
        long f = c.getFfSize();
        List<Entry> out = new ArrayList<>();
        out.add(new Entry(W0, new long[] {h, e, 3 * e + 4}));
        out.add(new Entry(W_OUT, new long[] {d, d}));
        if (c.residualLayerNorm()) {
            out.add(new Entry(LN1_GAMMA, new long[] {d}));
            out.add(new Entry(LN1_BETA, new long[] {d}));
        }
        if (f > 0) {
            out.add(new Entry(LN2_GAMMA, new long[] {d}));
            out.add(new Entry(LN2_BETA, new long[] {d}));
            out.add(new Entry(FF_W1, new long[] {d, f}));
            out.add(new Entry(FF_B1, new long[] {f}));
            out.add(new Entry(FF_W2, new long[] {f, d}));
            out.add(new Entry(FF_B2, new long[] {d}));
        }
        return out;
    }

    @Override
    public long numParams(NeuralNetConfiguration conf) {
        return numParams(conf.getLayer());
    }

    @Override
    public long numParams(Layer layer) {
        return layout(layer).stream().mapToLong(Entry::length).sum();
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        return layout(layer).stream().map(Entry::key).toList();
    }

    @Override
    public List<String> weightKeys(Layer layer) {
        return paramKeys(layer).stream().filter(WEIGHTS::contains).toList();
    }

    @Override
    public List<String> biasKeys(Layer layer) {
        return paramKeys(layer).stream().filter(k -> !WEIGHTS.contains(k)).toList();
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
        return WEIGHTS.contains(key);
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
        return !WEIGHTS.contains(key) && paramKeys(layer).contains(key);
    }

    @Override
    public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
        AbstractSrwmLayer c = srwm(conf.getLayer());
        Map<String, INDArray> views = views(c, paramsView);
        if (initializeParams) {
            long seed = c.seedIn(conf);
            DataType type = paramsView.dataType();
            SplittableRandom streams = new SplittableRandom(seed);
            for (Map.Entry<String, INDArray> p : views.entrySet()) {
                INDArray v = p.getValue();
                switch (p.getKey()) {
                    case W0 -> v.assign(FastWeights.init(c.getHeads(), c.getHeadSize(), type, seed));
                    case W_OUT, FF_W1, FF_W2 -> v.assign(xavierUniform(new Random(streams.nextLong()), v.shape(),
                            type));
                    case LN1_GAMMA, LN2_GAMMA -> v.assign(1.0);
                    default -> v.assign(0.0);
                }
            }
        }
        for (String key : views.keySet()) {
            conf.addVariable(key);
        }
        return views;
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
        return views(srwm(conf.getLayer()), gradientView);
    }

    /** Shaped views (no copies) of consecutive ranges of the flat vector. */
    private static Map<String, INDArray> views(AbstractSrwmLayer c, INDArray flat) {
        List<Entry> layout = layout(c);
        long total = layout.stream().mapToLong(Entry::length).sum();
        if (flat.length() != total) {
            throw new IllegalArgumentException(c.getClass().getSimpleName() + " '" + c.getLayerName() + "' needs "
                    + total + " parameters, the flat view has " + flat.length());
        }
        INDArray vector = flat.rank() == 1 ? flat : flat.reshape(flat.length());
        Map<String, INDArray> out = new LinkedHashMap<>();
        long pos = 0;
        for (Entry e : layout) {
            INDArray range = vector.get(NDArrayIndex.interval(pos, pos + e.length()));
            out.put(e.key(), e.shape().length == 1 ? range : range.reshape('c', e.shape()));
            pos += e.length();
        }
        return out;
    }

    private static INDArray xavierUniform(Random rng, long[] shape, DataType type) {
        long fanIn = shape[0];
        long fanOut = shape[1];
        double a = Math.sqrt(6.0 / (fanIn + fanOut));
        double[] v = new double[Math.toIntExact(fanIn * fanOut)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (2 * rng.nextDouble() - 1) * a;
        }
        return Nd4j.create(v, shape, DataType.DOUBLE).castTo(type);
    }
}
