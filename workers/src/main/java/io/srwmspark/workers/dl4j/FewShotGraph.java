package io.srwmspark.workers.dl4j;

import io.srwmspark.workers.cnn.Conv4Backbone;
import io.srwmspark.workers.fewshot.EpisodeSpec;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.nn.SrwmBlock;
import io.srwmspark.workers.rng.Seeds;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToRnnPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.RnnToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The few-shot model of {@code FewShotModel} (Conv-4 backbone + SRWM blocks) as a DL4J {@link ComputationGraph},
 * for dl4j-spark's parameter averaging ({@code train.strategy = dl4j-averaging}, docs/distributed.md).
 *
 * <pre>
 *   images   (B, C H W, T)  --RnnToCnn--&gt;  (B T, C, H, W)
 *   4 x [conv 3x3 pad 1 (bias) -&gt; batch norm -&gt; max pool 2x2 -&gt; ReLU]     (B T, ch, H/16, W/16)
 *   features  --CnnToRnn--&gt;   (B, F, T)
 *   [features, labelsIn]       (B, F + N, T)   labelsIn: one-hot label fed with each step
 *   dense -&gt; D                 (B, D, T)
 *   L x SrwmBlockLayer          (B, D, T)
 *   out: softmax over N per step, cross-entropy where the label mask is 1 (the scored steps)
 *   aux (train.aux-proto &gt; 0, synchronous): ProtoAuxLoss on the features, no parameters
 * </pre>
 *
 * <p>Differences from the exact model, all imposed by DL4J:
 * <ul>
 *   <li>Batch norm normalizes over all images of the minibatch (every episode a worker holds in one step), not
 *       per episode, and inference uses running averages (decay 0.9, PyTorch's momentum 0.1) unless
 *       {@link GraphEvaluator.BatchNorm#EPISODE} is asked for. Each batch norm layer also stores its running
 *       mean and variance as parameters: 2 x channels more per block than the exact model.</li>
 *   <li>Initialization: weights U(-1/sqrt(fan-in), 1/sqrt(fan-in)) as PyTorch's default, but biases start at 0;
 *       batch-norm gamma 1, beta 0; SRWM layers as {@code SrwmBlockLayer}.</li>
 *   <li>The objective is the sum of the scored steps' losses divided by the minibatch's episodes (DL4J's
 *       normalization), the exact path's mean over scored steps times the queries per episode; Adam is
 *       invariant to that constant factor (up to eps).</li>
 * </ul>
 * Not supported here (an error names the key): other backbones or sequence models, dropout, the multi-task
 * setting, the curriculum, the Noam schedule and gradient clipping.
 */
public final class FewShotGraph {

    /** Input: images (B, C H W, T). */
    public static final String IMAGES = "images";
    /** Input: one-hot labels fed with each step (B, N, T). */
    public static final String LABELS_IN = "labelsIn";
    /** Vertex: backbone features (B, F, T). */
    public static final String FEATURES = "features";
    /** Output: class probabilities per step (B, N, T). */
    public static final String OUT = "out";
    /** Output: the auxiliary prototypical loss (present when {@link #hasAux}). */
    public static final String AUX = "aux";

    private FewShotGraph() {
    }

    /** Whether the graph of {@code cfg} has the auxiliary prototypical output. */
    public static boolean hasAux(FewShotConfig cfg) {
        return cfg.train().auxProto() > 0 && cfg.episode().setting() == EpisodeSpec.LabelSetting.SYNCHRONOUS;
    }

    /** Fails with the key and value of the first setting the DL4J graph does not implement. */
    public static void checkSupported(FewShotConfig cfg) {
        FewShotConfig.Model m = cfg.model();
        FewShotConfig.Train t = cfg.train();
        String bad = !m.backbone().equals("conv4") ? "model.backbone = " + m.backbone() + " (only conv4)"
                : !m.sequence().equals("srwm") ? "model.sequence = " + m.sequence() + " (only srwm)"
                : m.dropout() != 0 ? "model.dropout = " + m.dropout() + " (only 0)"
                : cfg.multiTask().enabled() ? "multitask.enabled = true (only false)"
                : t.curriculum() != 0 ? "train.curriculum = " + t.curriculum() + " (only 0)"
                : !t.adam().schedule().equals("constant") ? "train.schedule = " + t.adam().schedule()
                        + " (only constant)"
                : t.adam().clipNorm() != 0 ? "train.clip = " + t.adam().clipNorm() + " (only 0)" : null;
        if (bad != null) {
            throw new IllegalArgumentException("the DL4J graph of train.strategy = dl4j-averaging does not implement "
                    + bad);
        }
    }

    /**
     * The graph's configuration for images of (channels, height, width), float32, Adam as {@code train.*} says,
     * seeded from the run seed.
     */
    public static ComputationGraphConfiguration config(FewShotConfig cfg, int channels, int height, int width) {
        checkSupported(cfg);
        new Conv4Backbone.Config(channels, height, width, cfg.model().channels(), 0, Conv4Backbone.DEFAULT_BN_EPS);
        FewShotConfig.Model m = cfg.model();
        FewShotConfig.Train t = cfg.train();
        int ways = cfg.episode().ways();
        int ch = m.channels();
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(Seeds.derive(t.seed(), FewShotTrainer.STREAM_INIT))
                .dataType(DataType.FLOAT)
                .updater(new Adam(t.adam().lr(), t.adam().beta1(), t.adam().beta2(), t.adam().eps()))
                .weightInit(WeightInit.UNIFORM)                        // U(-1/sqrt(fan-in), +): PyTorch's default
                .convolutionMode(ConvolutionMode.Truncate)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .graphBuilder()
                .addInputs(IMAGES, LABELS_IN)
                .setInputTypes(InputType.recurrent((long) channels * height * width), InputType.recurrent(ways));
        String prev = IMAGES;
        int h = height;
        int w = width;
        int in = channels;
        for (int i = 0; i < Conv4Backbone.BLOCKS; i++) {
            g.addLayer("conv" + i, new ConvolutionLayer.Builder(3, 3).stride(1, 1).padding(1, 1).nIn(in).nOut(ch)
                    .activation(Activation.IDENTITY).build(), prev);
            g.addLayer("bn" + i, new BatchNormalization.Builder().eps(Conv4Backbone.DEFAULT_BN_EPS).decay(0.9)
                    .build(), "conv" + i);
            g.addLayer("pool" + i, new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                    .build(), "bn" + i);
            g.addLayer("relu" + i, new ActivationLayer.Builder().activation(Activation.RELU).build(), "pool" + i);
            prev = "relu" + i;
            h /= 2;                                                     // floor, as max pool 2x2 stride 2
            w /= 2;
            in = ch;
        }
        g.inputPreProcessor("conv0", new RnnToCnnPreProcessor(height, width, channels));        // (B T, C, H, W)
        g.addVertex(FEATURES, new PreprocessorVertex(new CnnToRnnPreProcessor(h, w, ch)), prev);  // (B, F, T)
        g.addVertex("merge", new MergeVertex(), FEATURES, LABELS_IN);                            // (B, F + N, T)
        g.addLayer("in", new DenseLayer.Builder().nOut(m.width()).activation(Activation.IDENTITY).build(), "merge");
        prev = "in";
        for (int l = 0; l < m.layers(); l++) {
            g.addLayer("srwm" + l, new SrwmBlockLayer.Builder().heads(m.heads()).headSize(m.headSize())
                    .ffSize(m.ffMultiplier() * m.width()).kernel(m.kernel()).layerNormEps(SrwmBlock.DEFAULT_LN_EPS)
                    .build(), prev);
            prev = "srwm" + l;
        }
        g.addLayer(OUT, new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                .nIn(m.width()).nOut(ways).build(), prev);
        if (hasAux(cfg)) {
            g.addLayer(AUX, new RnnLossLayer.Builder(new ProtoAuxLoss(t.auxProto())).activation(Activation.IDENTITY)
                    .build(), FEATURES);
            g.setOutputs(OUT, AUX);
        } else {
            g.setOutputs(OUT);
        }
        return g.build();
    }

    /** The initialized graph of {@link #config}. */
    public static ComputationGraph build(FewShotConfig cfg, int channels, int height, int width) {
        ComputationGraph graph = new ComputationGraph(config(cfg, channels, height, width));
        graph.init();
        return graph;
    }
}
