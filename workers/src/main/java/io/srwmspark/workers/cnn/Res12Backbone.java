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
 * The ResNet-12 backbone of few-shot learning (channels 64/96/128/256 by default), used by the paper for its
 * stronger Mini-ImageNet and FC100 runs (docs/DESIGN.md section 2). Four residual blocks, each
 * <pre>
 *   h1 = LeakyReLU(BN1(Conv3x3(x)))      h2 = LeakyReLU(BN2(Conv3x3(h1)))      h3 = BN3(Conv3x3(h2))
 *   out = Dropout(MaxPool2x2(LeakyReLU(h3 + BNs(Conv1x1(x)))))
 * </pre>
 * with 3x3 convolutions of padding 1, no convolution bias (as the standard ResNet-12), leaky slope 0.1, max
 * pool 2x2 stride 2 (floor; the first maximum of a window wins ties). Output: the last block's (C, H/16, W/16)
 * map flattened in C, H, W order (6400 features for 84x84, 1024 for 32x32, 256 for 28x28).
 *
 * <p>Batch norm per episode exactly as {@link Conv4Backbone} (eps and learnable gamma/beta, no running
 * statistics). Dropout (after the pool, as MetaOptNet's ResNet-12 without DropBlock) uses the masks of
 * {@link DropoutStream}, recomputed in backward rather than stored.
 */
public final class Res12Backbone implements Backbone<Res12Backbone.Params> {

    /** Residual blocks. */
    public static final int BLOCKS = 4;

    /** Negative slope of the leaky ReLUs. */
    public static final double LEAKY_SLOPE = 0.1;

    /** The usual channels of few-shot ResNet-12 (64, 96, 128, 256). */
    public static final List<Integer> DEFAULT_CHANNELS = List.of(64, 96, 128, 256);

    /**
     * Sizes and rates.
     *
     * @param inChannels image channels
     * @param height     image height, &gt;= 16
     * @param width      image width, &gt;= 16
     * @param channels   output channels of the four blocks
     * @param dropout    dropout rate after each block's pool, in [0, 1)
     * @param bnEps      batch-norm epsilon, &gt; 0
     */
    public record Config(int inChannels, int height, int width, List<Integer> channels, double dropout,
            double bnEps) {

        public Config {
            channels = List.copyOf(channels);
            if (inChannels < 1 || channels.size() != BLOCKS || channels.stream().anyMatch(c -> c < 1)) {
                throw new IllegalArgumentException("ResNet-12 needs inChannels >= 1 and " + BLOCKS
                        + " block channel counts >= 1, got " + inChannels + " and " + channels);
            }
            if (height < 16 || width < 16) {
                throw new IllegalArgumentException("ResNet-12 pools four times by 2: images must be at least 16x16, "
                        + "got " + height + "x" + width);
            }
            if (!(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + dropout);
            }
            if (!(bnEps > 0)) {
                throw new IllegalArgumentException("batch-norm epsilon must be > 0, got " + bnEps);
            }
        }

        /** Mini-ImageNet: 84x84 RGB, 64/96/128/256 channels, 6400 features. */
        public static Config miniImageNet() {
            return new Config(3, 84, 84, DEFAULT_CHANNELS, 0.0, Conv4Backbone.DEFAULT_BN_EPS);
        }

        /** FC100: 32x32 RGB, 1024 features. */
        public static Config fc100() {
            return new Config(3, 32, 32, DEFAULT_CHANNELS, 0.0, Conv4Backbone.DEFAULT_BN_EPS);
        }

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

        /** Input channels of block b. */
        public int inChannelsAt(int b) {
            return b == 0 ? inChannels : channels.get(b - 1);
        }

        /** F = channels[3] x (H/16) x (W/16). */
        public int features() {
            return channels.get(BLOCKS - 1) * heightAt(BLOCKS) * widthAt(BLOCKS);
        }
    }

    /**
     * One residual block's parameters (or gradients).
     *
     * @param conv1    3x3 convolution and batch norm 1
     * @param conv2    3x3 convolution and batch norm 2
     * @param conv3    3x3 convolution and batch norm 3
     * @param shortcut 1x1 convolution and batch norm of the shortcut
     */
    public record Block(ConvBn conv1, ConvBn conv2, ConvBn conv3, ConvBn shortcut) {
        public Block {
            Objects.requireNonNull(conv1, "conv1");
            Objects.requireNonNull(conv2, "conv2");
            Objects.requireNonNull(conv3, "conv3");
            Objects.requireNonNull(shortcut, "shortcut");
        }

        List<ConvBn> units() {
            return List.of(conv1, conv2, conv3, shortcut);
        }
    }

    private static final List<String> UNITS = List.of("conv1", "conv2", "conv3", "shortcut");

    /**
     * Parameters of the four blocks (or their gradients), named {@code block<b>.<unit>.conv.weight},
     * {@code block<b>.<unit>.bn.gamma}, {@code block<b>.<unit>.bn.beta} for unit in conv1, conv2, conv3,
     * shortcut.
     *
     * @param blocks the four residual blocks, in order
     */
    public record Params(List<Block> blocks) implements Backbone.Parameters {

        public Params {
            blocks = List.copyOf(blocks);
            if (blocks.size() != BLOCKS) {
                throw new IllegalArgumentException("ResNet-12 has " + BLOCKS + " blocks, got " + blocks.size());
            }
        }

        @Override
        public Map<String, INDArray> named() {
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (int b = 0; b < BLOCKS; b++) {
                List<ConvBn> units = blocks.get(b).units();
                for (int u = 0; u < units.size(); u++) {
                    units.get(u).putNamed("block" + b + "." + UNITS.get(u) + ".", out);
                }
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

    /** A backbone on the shared CPU pool ({@link CpuSrwmKernel#sharedPool()}). */
    public Res12Backbone(Config config) {
        this(config, CpuSrwmKernel.sharedPool(), null);
    }

    /** A backbone on {@code pool} that adds the time of its phases to {@code times} (may be null). */
    public Res12Backbone(Config config, ForkJoinPool pool, PhaseTimes times) {
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
        List<Block> blocks = new ArrayList<>();
        for (int b = 0; b < BLOCKS; b++) {
            int cin = config.inChannelsAt(b);
            int c = config.channels().get(b);
            blocks.add(new Block(ConvBn.init(cin, c, 3, false, type, Seeds.derive(seed, b, 0)),
                    ConvBn.init(c, c, 3, false, type, Seeds.derive(seed, b, 1)),
                    ConvBn.init(c, c, 3, false, type, Seeds.derive(seed, b, 2)),
                    ConvBn.init(cin, c, 1, false, type, Seeds.derive(seed, b, 3))));
        }
        return new Params(blocks);
    }

    @Override
    public Params fromNamed(Map<String, INDArray> named) {
        List<Block> blocks = new ArrayList<>();
        for (int b = 0; b < BLOCKS; b++) {
            String p = "block" + b + ".";
            blocks.add(new Block(ConvBn.fromNamed(p + "conv1.", named, false),
                    ConvBn.fromNamed(p + "conv2.", named, false), ConvBn.fromNamed(p + "conv3.", named, false),
                    ConvBn.fromNamed(p + "shortcut.", named, false)));
        }
        Params params = new Params(blocks);
        check(params, blocks.get(0).conv1().dataType());
        return params;
    }

    @Override
    public Forward forward(Params params, INDArray images, int groupSize, boolean training,
            DropoutSeed dropoutSeed) {
        Objects.requireNonNull(params, "params");
        int n = Conv4Backbone.checkImages("ResNet-12", images, config.inChannels(), config.height(), config.width(),
                groupSize);
        check(params, images.dataType());
        Run run = images.dataType() == DataType.DOUBLE
                ? new Res12F64(config, pool, arrays, times, params, images, n, groupSize, training, dropoutSeed)
                : new Res12F32(config, pool, arrays, times, params, images, n, groupSize, training, dropoutSeed);
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
            throw new IllegalStateException("ResNet-12 backward needs the forward result of this backbone with "
                    + "training = true");
        }
        Conv4Backbone.checkGradient(forward.features(), dFeatures);
        return run.backward(dFeatures);
    }

    private void check(Params p, DataType type) {
        for (int b = 0; b < BLOCKS; b++) {
            int cin = config.inChannelsAt(b);
            int c = config.channels().get(b);
            Block k = p.blocks().get(b);
            k.conv1().check("ResNet-12 block " + b + " conv1", cin, c, 3, false, type);
            k.conv2().check("ResNet-12 block " + b + " conv2", c, c, 3, false, type);
            k.conv3().check("ResNet-12 block " + b + " conv3", c, c, 3, false, type);
            k.shortcut().check("ResNet-12 block " + b + " shortcut", cin, c, 1, false, type);
        }
    }
}
