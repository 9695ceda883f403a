package io.srwmspark.workers.cnn;

import io.srwmspark.workers.rng.DropoutSeed;
import io.srwmspark.workers.rng.Seeds;
import io.srwmspark.workers.srwm.ArrayPool;
import io.srwmspark.workers.srwm.CpuSrwmKernel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ForkJoinPool;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The Conv-4 backbone of the paper's few-shot model (Irie et al., ICML 2022; docs/DESIGN.md section 2): four
 * blocks, each
 * <pre>
 *   Conv3x3(padding 1, stride 1, bias) -&gt; BatchNorm (per episode) -&gt; MaxPool 2x2 stride 2 (floor)
 *   -&gt; Dropout -&gt; ReLU
 * </pre>
 * in this order, as the paper's code. Output: the last block's (C, H/16, W/16) map flattened in C, H, W order:
 * 64 features for 28x28 images and 64 channels, 800 for 84x84 and 32 channels, 128 for 32x32 and 32 channels.
 *
 * <p>Batch norm: each episode ({@code groupSize} consecutive images) is normalized over its own images (mean and
 * biased variance over group x H x W per channel), in training and evaluation alike; eps and learnable
 * gamma/beta as {@link Config}. Dropout is inverted dropout (see {@link DropoutStream} for the masks). Max pool
 * picks the first maximum of a window in row-major order when values tie.
 *
 * <p>Computation: channel-last Java arrays, direct convolutions as register-tiled SIMD loops ({@code
 * ConvTilesF64} and its float32 twin) and fused batch-norm/pool/dropout/ReLU loops, over chunks of images on a
 * fork-join pool; float64 and float32 run the same code (docs/cnn.md). Results do not depend on the number of
 * threads.
 */
public final class Conv4Backbone implements Backbone<Conv4Backbone.Params> {

    /** Blocks of the backbone. */
    public static final int BLOCKS = 4;

    /** Batch-norm epsilon of PyTorch's default, used by the paper. */
    public static final double DEFAULT_BN_EPS = 1e-5;

    /**
     * Sizes and rates.
     *
     * @param inChannels image channels (1 grey, 3 RGB)
     * @param height     image height, &gt;= 16 (four 2x2 poolings)
     * @param width      image width, &gt;= 16
     * @param channels   channels of every block (64 for Omniglot, 32 for Mini-ImageNet and FC100)
     * @param dropout    dropout rate of every block, in [0, 1)
     * @param bnEps      batch-norm epsilon, &gt; 0
     */
    public record Config(int inChannels, int height, int width, int channels, double dropout, double bnEps) {

        public Config {
            if (inChannels < 1 || channels < 1) {
                throw new IllegalArgumentException("Conv-4 needs inChannels and channels >= 1, got " + inChannels
                        + " and " + channels);
            }
            if (height < 16 || width < 16) {
                throw new IllegalArgumentException("Conv-4 pools four times by 2: images must be at least 16x16, got "
                        + height + "x" + width);
            }
            if (!(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + dropout);
            }
            if (!(bnEps > 0)) {
                throw new IllegalArgumentException("batch-norm epsilon must be > 0, got " + bnEps);
            }
        }

        /** Omniglot: 28x28 grey, 64 channels, 64 features; no dropout. */
        public static Config omniglot() {
            return new Config(1, 28, 28, 64, 0.0, DEFAULT_BN_EPS);
        }

        /** Mini-ImageNet: 84x84 RGB, 32 channels, 800 features; no dropout. */
        public static Config miniImageNet() {
            return new Config(3, 84, 84, 32, 0.0, DEFAULT_BN_EPS);
        }

        /** FC100: 32x32 RGB, 32 channels, 128 features; no dropout. */
        public static Config fc100() {
            return new Config(3, 32, 32, 32, 0.0, DEFAULT_BN_EPS);
        }

        /** The same with another dropout rate. */
        public Config withDropout(double rate) {
            return new Config(inChannels, height, width, channels, rate, bnEps);
        }

        /** Height of block b's input (b = 0..4; 4 is the output map). */
        public int heightAt(int b) {
            return height >> b;
        }

        /** Width of block b's input (b = 0..4; 4 is the output map). */
        public int widthAt(int b) {
            return width >> b;
        }

        /** F = channels x (H/16) x (W/16). */
        public int features() {
            return channels * heightAt(BLOCKS) * widthAt(BLOCKS);
        }
    }

    /**
     * Parameters of the four blocks (or their gradients), names {@code block<b>.conv.weight}, {@code
     * block<b>.conv.bias}, {@code block<b>.bn.gamma}, {@code block<b>.bn.beta}.
     *
     * @param blocks the four conv + batch-norm units, in order
     */
    public record Params(List<ConvBn> blocks) implements Backbone.Parameters {

        public Params {
            blocks = List.copyOf(blocks);
            if (blocks.size() != BLOCKS) {
                throw new IllegalArgumentException("Conv-4 has " + BLOCKS + " blocks, got " + blocks.size());
            }
        }

        @Override
        public Map<String, INDArray> named() {
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (int b = 0; b < BLOCKS; b++) {
                blocks.get(b).putNamed("block" + b + ".", out);
            }
            return Collections.unmodifiableMap(out);
        }
    }

    /** A forward run of one data type, kept as the tape. */
    interface Run extends Backbone.Tape {
        INDArray features();

        Params backward(INDArray dFeatures);
    }

    private final Config config;
    private final ForkJoinPool pool;
    private final PhaseTimes times;
    private final ArrayPool arrays = new ArrayPool();

    /** A backbone on the shared CPU pool ({@link CpuSrwmKernel#sharedPool()}, {@code -Dsrwm.cpu.threads}). */
    public Conv4Backbone(Config config) {
        this(config, CpuSrwmKernel.sharedPool());
    }

    /** A backbone whose chunks of images run on {@code pool}. */
    public Conv4Backbone(Config config, ForkJoinPool pool) {
        this(config, pool, null);
    }

    /** A backbone that also adds the time of each phase of every call to {@code times} (may be null). */
    public Conv4Backbone(Config config, ForkJoinPool pool, PhaseTimes times) {
        this.config = Objects.requireNonNull(config, "config");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.times = times;
    }

    public Config config() {
        return config;
    }

    @Override
    public int features() {
        return config.features();
    }

    @Override
    public Params init(DataType type, long seed) {
        List<ConvBn> blocks = new ArrayList<>();
        for (int b = 0; b < BLOCKS; b++) {
            int cin = b == 0 ? config.inChannels() : config.channels();
            blocks.add(ConvBn.init(cin, config.channels(), 3, true, type, Seeds.derive(seed, b)));
        }
        return new Params(blocks);
    }

    @Override
    public Params fromNamed(Map<String, INDArray> named) {
        List<ConvBn> blocks = new ArrayList<>();
        for (int b = 0; b < BLOCKS; b++) {
            blocks.add(ConvBn.fromNamed("block" + b + ".", named, true));
        }
        Params p = new Params(blocks);
        check(p, p.blocks().get(0).dataType());
        return p;
    }

    @Override
    public Forward forward(Params params, INDArray images, int groupSize, boolean training,
            DropoutSeed dropoutSeed) {
        Objects.requireNonNull(params, "params");
        int n = checkImages("Conv-4", images, config.inChannels(), config.height(), config.width(), groupSize);
        check(params, images.dataType());
        Run run = images.dataType() == DataType.DOUBLE
                ? new Conv4F64(config, pool, arrays, times, params, images, n, groupSize, training, dropoutSeed)
                : new Conv4F32(config, pool, arrays, times, params, images, n, groupSize, training, dropoutSeed);
        INDArray features = run.features();
        if (!training) {
            run.release();
            return new Forward(features, null);
        }
        return new Forward(features, run);
    }

    @Override
    public Params backward(Params params, Forward forward, INDArray dFeatures) {
        if (!(forward.tape() instanceof Run run)) {
            throw new IllegalStateException("Conv-4 backward needs the forward result of this backbone with "
                    + "training = true");
        }
        checkGradient(forward.features(), dFeatures);
        return run.backward(dFeatures);
    }

    private void check(Params p, DataType type) {
        for (int b = 0; b < BLOCKS; b++) {
            int cin = b == 0 ? config.inChannels() : config.channels();
            p.blocks().get(b).check("Conv-4 block " + b, cin, config.channels(), 3, true, type);
        }
    }

    /** Validates dL/dfeatures against the features. */
    static void checkGradient(INDArray f, INDArray dFeatures) {
        if (dFeatures == null || !java.util.Arrays.equals(dFeatures.shape(), f.shape())
                || dFeatures.dataType() != f.dataType()) {
            throw new IllegalArgumentException("dFeatures must be " + f.dataType() + " "
                    + java.util.Arrays.toString(f.shape()) + " like the features, got "
                    + (dFeatures == null ? "null" : dFeatures.dataType() + " " + java.util.Arrays.toString(
                            dFeatures.shape())));
        }
    }

    /** Validates (N, C, H, W) images and the episode size; returns N. */
    static int checkImages(String what, INDArray images, int c, int h, int w, int groupSize) {
        Objects.requireNonNull(images, "images");
        long[] s = images.shape();
        if (s.length != 4 || s[1] != c || s[2] != h || s[3] != w) {
            throw new IllegalArgumentException(what + " images must be (N, " + c + ", " + h + ", " + w + "), got "
                    + java.util.Arrays.toString(s));
        }
        if (images.dataType() != DataType.FLOAT && images.dataType() != DataType.DOUBLE) {
            throw new IllegalArgumentException(what + " runs float32 or float64, got " + images.dataType());
        }
        if (s[0] < 1 || groupSize < 1 || s[0] % groupSize != 0) {
            throw new IllegalArgumentException(what + ": groupSize must divide the batch (episodes of consecutive "
                    + "images), got N = " + s[0] + " and groupSize = " + groupSize);
        }
        return (int) s[0];
    }
}
