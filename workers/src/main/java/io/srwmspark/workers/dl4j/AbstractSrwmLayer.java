package io.srwmspark.workers.dl4j;

import io.srwmspark.workers.nn.SrwmBlock;
import io.srwmspark.workers.srwm.CpuSrwmKernel;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.util.Objects;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseRecurrentLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Configuration shared by the SRWM layers: H heads of size E (width D = H E, both nIn and nOut), the hidden
 * size F of the feed-forward sublayer, the dropout rate of the block's own dropout sites, the SRWM kernel by
 * name ({@link SrwmKernels}), the layer-norm epsilon and a seed.
 *
 * <p>The seed drives parameter initialisation (W_0 exactly as {@code FastWeights.init(H, E, type, seed)}) and
 * the dropout masks. Left unset, it is derived from the network's seed and the layer name, so that two SRWM
 * layers of one network start different yet reproducible.
 */
public abstract class AbstractSrwmLayer extends BaseRecurrentLayer {

    /** Default kernel name. */
    public static final String DEFAULT_KERNEL = "cpu";

    @JsonProperty("heads")
    private int heads;
    @JsonProperty("headSize")
    private int headSize;
    @JsonProperty("ffSize")
    private int ffSize;
    @JsonProperty("dropout")
    private double dropout;
    @JsonProperty("kernel")
    private String kernel = DEFAULT_KERNEL;
    @JsonProperty("seed")
    private Long seed;
    @JsonProperty("layerNormEps")
    private double layerNormEps = SrwmBlock.DEFAULT_LN_EPS;

    /** For JSON deserialisation. */
    protected AbstractSrwmLayer() {
    }

    protected AbstractSrwmLayer(Builder<?> b) {
        super(b);
        this.heads = b.heads;
        this.headSize = b.headSize;
        this.ffSize = b.ffSize;
        this.dropout = b.dropout;
        this.kernel = b.kernel;
        this.seed = b.seed;
        this.layerNormEps = b.layerNormEps;
        if (!SrwmKernels.NAMES.contains(kernel)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": unknown SRWM kernel '" + kernel
                    + "', expected one of " + SrwmKernels.NAMES);
        }
        validateSizes();
        long d = (long) heads * headSize;
        if ((b.getNIn() > 0 && b.getNIn() != d) || (b.getNOut() > 0 && b.getNOut() != d)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": nIn and nOut must both equal heads * "
                    + "headSize = " + d + " (the block is residual), got nIn = " + b.getNIn() + ", nOut = "
                    + b.getNOut());
        }
        this.nIn = d;
        this.nOut = d;
    }

    /** Validates heads, headSize, ffSize, dropout and epsilon (by building the block's configuration). */
    protected abstract void validateSizes();

    /** Whether the block has the residual-branch layer norm ln1 (the few-shot block) or not (the RL block). */
    protected abstract boolean residualLayerNorm();

    public int getHeads() {
        return heads;
    }

    public int getHeadSize() {
        return headSize;
    }

    public int getFfSize() {
        return ffSize;
    }

    public double getDropout() {
        return dropout;
    }

    public String getKernel() {
        return kernel;
    }

    /** The explicit seed, or null when it is derived from the network seed and layer name. */
    public Long getSeed() {
        return seed;
    }

    public double getLayerNormEps() {
        return layerNormEps;
    }

    /** D = H E. */
    public int width() {
        return heads * headSize;
    }

    /** The seed this layer uses in network configuration {@code conf}. */
    public long seedIn(NeuralNetConfiguration conf) {
        if (seed != null) {
            return seed;
        }
        return new SplittableRandom(conf.getSeed() ^ (0x9E3779B97F4A7C15L * Objects.hashCode(getLayerName())))
                .nextLong();
    }

    @Override
    public ParamInitializer initializer() {
        return SrwmParamInitializer.getInstance();
    }

    /** Validation shared by {@code instantiate}: the input width fixed by the graph must be D. */
    protected void checkInstantiable(int layerIndex) {
        if (nIn != width() || nOut != width()) {
            throw new IllegalStateException(getClass().getSimpleName() + " '" + getLayerName() + "' (index "
                    + layerIndex + "): input width nIn = " + nIn + " and nOut = " + nOut + " must equal heads * "
                    + "headSize = " + width() + "; the block is residual, so project the input to that width first");
        }
    }

    /**
     * Memory estimate in array elements. Per example: fast weights H E (3E+4); inference keeps about 6 rows of
     * width D and 2 of width F per step; training keeps the kernel tape (about H (6E+8) values per step plus a
     * fast-weight checkpoint every {@link CpuSrwmKernel#DEFAULT_SEGMENT} steps) and about 8 rows of width D and 3 of width F per step.
     */
    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        InputType outputType = getOutputType(-1, inputType);
        long numParams = initializer().numParams(this);
        long updaterState = getIUpdater() == null ? 0 : getIUpdater().stateSize(numParams);
        long steps = 1;
        if (inputType instanceof InputType.InputTypeRecurrent r && r.getTimeSeriesLength() > 0) {
            steps = r.getTimeSeriesLength();
        }
        long e = headSize;
        long fast = (long) heads * e * (3 * e + 4);
        long d = width();
        long inference = fast + steps * (6 * d + 2L * ffSize);
        long seg = CpuSrwmKernel.DEFAULT_SEGMENT;
        long training = fast * (1 + (steps + seg - 1) / seg) + steps * ((long) heads * (6 * e + 8) + 8 * d + 3L * ffSize);
        return new LayerMemoryReport.Builder(getLayerName(), getClass(), inputType, outputType)
                .standardMemory(numParams, updaterState)
                .workingMemory(0, inference, 0, training)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || o.getClass() != getClass() || !super.equals(o)) {
            return false;
        }
        AbstractSrwmLayer other = (AbstractSrwmLayer) o;
        return heads == other.heads && headSize == other.headSize && ffSize == other.ffSize
                && Double.compare(dropout, other.dropout) == 0 && Objects.equals(kernel, other.kernel)
                && Objects.equals(seed, other.seed) && Double.compare(layerNormEps, other.layerNormEps) == 0;
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof AbstractSrwmLayer;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), heads, headSize, ffSize, dropout, kernel, seed, layerNormEps);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(name=" + getLayerName() + ", heads=" + heads + ", headSize=" + headSize
                + ", ffSize=" + ffSize + ", dropout=" + dropout + ", kernel=" + kernel + ", seed=" + seed
                + ", layerNormEps=" + layerNormEps + ")";
    }

    /** Builder of the shared fields. */
    public abstract static class Builder<T extends Builder<T>> extends BaseRecurrentLayer.Builder<T> {
        private int heads;
        private int headSize;
        private int ffSize;
        private double dropout;
        private String kernel = DEFAULT_KERNEL;
        private Long seed;
        private double layerNormEps = SrwmBlock.DEFAULT_LN_EPS;

        /** H, number of heads. */
        public T heads(int heads) {
            this.heads = heads;
            return self();
        }

        /** E, size of each head; the layer's width is D = H E. */
        public T headSize(int headSize) {
            this.headSize = headSize;
            return self();
        }

        /** F, hidden size of the feed-forward sublayer. */
        public T ffSize(int ffSize) {
            this.ffSize = ffSize;
            return self();
        }

        /** Rate of the block's dropout sites, in [0, 1); default 0. */
        public T dropout(double dropout) {
            this.dropout = dropout;
            return self();
        }

        /** SRWM kernel by name (see {@code SrwmKernels.NAMES}); default {@value AbstractSrwmLayer#DEFAULT_KERNEL}. */
        public T kernel(String kernel) {
            this.kernel = kernel;
            return self();
        }

        /** Seed of the initialisation and dropout masks; default derived from the network seed and layer name. */
        public T seed(long seed) {
            this.seed = seed;
            return self();
        }

        /** Layer-norm epsilon; default {@value SrwmBlock#DEFAULT_LN_EPS}. */
        public T layerNormEps(double layerNormEps) {
            this.layerNormEps = layerNormEps;
            return self();
        }

        @SuppressWarnings("unchecked")
        private T self() {
            return (T) this;
        }
    }
}
