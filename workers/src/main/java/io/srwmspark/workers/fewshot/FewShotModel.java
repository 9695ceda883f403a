package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.rng.DropoutSeed;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The few-shot model of the paper (section 4.1): each step's image goes through the backbone, its features
 * are concatenated with the one-hot label fed at that step, projected to width D, run through L sequence
 * layers (SRWM, Delta Net or LSTM) and projected to N logits.
 * <pre>
 *   f = Backbone(x_t)                  (R, F)     R = B T rows, episode-major
 *   h = [f, onehot_t] W_in + b_in      (R, D) -&gt; (B, T, D)
 *   h = Seq_L(... Seq_1(h))            (B, T, D)
 *   z = h W_cls + b_cls                (R, N)
 *   L = (1 / n) sum_{scored t} CE(z_t, y_t)
 * </pre>
 * Parameters: the backbone's ("cnn."), "in.w" (F+N, D), "in.b" (D), each layer's ("seq{l}."), "cls.w" (D, N),
 * "cls.b" (N), in that order in the flat vector.
 */
public final class FewShotModel {

    private final Backbone backbone;
    private final List<SequenceModel> layers;
    private final int ways;
    private final int width;
    private final ParamSet layout;
    private final double auxProto;

    public FewShotModel(Backbone backbone, List<SequenceModel> layers, int ways, int width) {
        this(backbone, layers, ways, width, 0);
    }

    /**
     * @param auxProto weight of the optional auxiliary prototypical loss on the backbone features in training
     *                 ({@link ProtoAux}; synchronous episodes only; 0 for the paper's recipe)
     */
    public FewShotModel(Backbone backbone, List<SequenceModel> layers, int ways, int width, double auxProto) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("the few-shot model needs at least one sequence layer");
        }
        this.backbone = backbone;
        this.layers = List.copyOf(layers);
        this.ways = ways;
        this.width = width;
        this.auxProto = auxProto;
        ParamSet.Builder b = ParamSet.builder();
        backbone.declare(b, "cnn.");
        b.add("in.w", backbone.features() + ways, width);
        b.add("in.b", width);
        for (int l = 0; l < layers.size(); l++) {
            layers.get(l).declare(b, "seq" + l + ".");
        }
        b.add("cls.w", width, ways);
        b.add("cls.b", ways);
        this.layout = b.build();
    }

    public ParamSet layout() {
        return layout;
    }

    public int ways() {
        return ways;
    }

    /** Fresh parameters (1, P) drawn from {@code seed}. */
    public INDArray init(DataType type, long seed) {
        INDArray flat = layout.zeros(type);
        backbone.init(layout, flat, "cnn.", seed);
        Component.uniformFanIn(layout.view(flat, "in.w"), backbone.features() + ways, Component.seedFor(seed, "in.w"));
        Component.uniformFanIn(layout.view(flat, "in.b"), backbone.features() + ways, Component.seedFor(seed, "in.b"));
        for (int l = 0; l < layers.size(); l++) {
            layers.get(l).init(layout, flat, "seq" + l + ".", seed);
        }
        Component.uniformFanIn(layout.view(flat, "cls.w"), width, Component.seedFor(seed, "cls.w"));
        Component.uniformFanIn(layout.view(flat, "cls.b"), width, Component.seedFor(seed, "cls.b"));
        return flat;
    }

    /**
     * Result of one pass over a batch.
     *
     * @param lossSum     summed cross-entropy of the scored steps (not normalized)
     * @param correct     scored steps predicted right
     * @param scored      scored steps
     * @param correctRows (B T) 1 where a scored step was predicted right
     * @param auxLossSum  summed auxiliary prototypical loss (0 when off); the trained objective is
     *                    (lossSum + auxProto auxLossSum) / normalizer
     */
    public record Result(double lossSum, int correct, int scored, int[] correctRows, double auxLossSum) {
    }

    /**
     * Forward (and with {@code flatGrad} non-null, backward) over a batch. Gradients of
     * {@code lossSum / normalizer} are added into {@code flatGrad}. The pass's ND4J temporaries live in this
     * thread's pass workspace ({@link StepWorkspace}); {@code flat} and {@code flatGrad} are the caller's.
     */
    public Result run(INDArray flat, EpisodeBatch batch, double normalizer, long seed, INDArray flatGrad) {
        return run(flat, batch, normalizer, seed, flatGrad, null);
    }

    /** Nanoseconds spent per part of a step, for {@code bench fewshot}: [backbone, sequence, head and loss]. */
    public static final class Clock {
        private final long[] nanos = new long[3];

        public long[] nanos() {
            return nanos.clone();
        }

        void add(int part, long since) {
            nanos[part] += System.nanoTime() - since;
        }
    }

    /** As {@link #run(INDArray, EpisodeBatch, double, long, INDArray)}, timing the parts into {@code clock}. */
    public Result run(INDArray flat, EpisodeBatch batch, double normalizer, long seed, INDArray flatGrad,
            Clock clock) {
        return StepWorkspace.run(() -> pass(flat, batch, normalizer, seed, flatGrad, clock));
    }

    /** The pass of {@link #run}, its temporaries in whatever workspace is active (none: plain native memory). */
    Result pass(INDArray flat, EpisodeBatch batch, double normalizer, long seed, INDArray flatGrad, Clock clock) {
        Clock c = clock == null ? new Clock() : clock;
        boolean training = flatGrad != null;
        DataType type = flat.dataType();
        int b = batch.episodes();
        int t = batch.steps();
        int rows = b * t;
        INDArray images = Nd4j.create(Nd4j.createBuffer(batch.images()),
                new long[] {rows, batch.channels(), batch.height(), batch.width()}).castTo(type);
        INDArray labels = Nd4j.create(Nd4j.createBuffer(batch.labelsIn()), new long[] {rows, ways}).castTo(type);

        // row r of this batch is global row (first episode) T + r: dropout masks do not depend on the sharding
        DropoutSeed drops = new DropoutSeed(seed, batch.first() * t);
        long t0 = System.nanoTime();
        Backbone.Pass cnn = backbone.forward(layout, flat, "cnn.", images, t, training, drops.derive(1));
        c.add(0, t0);
        t0 = System.nanoTime();
        INDArray x = Nd4j.hstack(cnn.features(), labels);                                  // (R, F+N)
        INDArray inW = layout.view(flat, "in.w");
        INDArray h = Linear.forward(x, inW, layout.view(flat, "in.b")).reshape('c', b, t, width);
        SequenceModel.Pass[] passes = new SequenceModel.Pass[layers.size()];
        for (int l = 0; l < layers.size(); l++) {
            passes[l] = layers.get(l).forward(layout, flat, "seq" + l + ".", h, training, drops.derive(2, l));
            h = passes[l].out();
        }
        c.add(1, t0);
        t0 = System.nanoTime();
        INDArray hr = h.reshape('c', rows, width);                                          // (R, D)
        INDArray clsW = layout.view(flat, "cls.w");
        INDArray logits = Linear.forward(hr, clsW, layout.view(flat, "cls.b"));            // (R, N)
        SoftmaxCrossEntropy.Result ce = SoftmaxCrossEntropy.apply(logits, batch.targets(), batch.scored(),
                normalizer);
        boolean aux = auxProto > 0;
        INDArray dAux = aux ? cnn.features().like() : null;
        double auxLoss = aux ? ProtoAux.apply(cnn.features(), batch, auxProto, normalizer, dAux) : 0;
        if (training) {
            INDArray dW = Nd4j.createUninitialized(type, width, ways);
            INDArray db = Nd4j.createUninitialized(type, ways);
            INDArray dh = Linear.backward(hr, clsW, ce.dLogits(), dW, db, true);
            layout.view(flatGrad, "cls.w").addi(dW);
            layout.view(flatGrad, "cls.b").addi(db);
            dh = dh.reshape('c', b, t, width);
            c.add(2, t0);
            t0 = System.nanoTime();
            for (int l = layers.size() - 1; l >= 0; l--) {
                dh = passes[l].backward(dh, flatGrad);
            }
            INDArray dhr = dh.reshape('c', rows, width);
            INDArray dInW = Nd4j.createUninitialized(type, inW.size(0), width);
            INDArray dInB = Nd4j.createUninitialized(type, width);
            INDArray dx = Linear.backward(x, inW, dhr, dInW, dInB, true);
            layout.view(flatGrad, "in.w").addi(dInW);
            layout.view(flatGrad, "in.b").addi(dInB);
            INDArray dFeatures = dx.get(NDArrayIndex.all(), NDArrayIndex.interval(0, backbone.features())).dup('c');
            if (aux) {
                dFeatures.addi(dAux);
            }
            c.add(1, t0);
            t0 = System.nanoTime();
            cnn.backward(dFeatures, flatGrad);
            c.add(0, t0);
        } else {
            c.add(2, t0);
        }
        return new Result(ce.lossSum(), ce.correct(), ce.scored(), ce.correctRows(), auxLoss);
    }
}
