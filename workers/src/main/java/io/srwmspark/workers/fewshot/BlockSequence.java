package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.rng.DropoutSeed;
import io.srwmspark.workers.deltanet.DeltaRule;
import io.srwmspark.workers.nn.DeltaNetBlock;
import io.srwmspark.workers.nn.FeedForward;
import io.srwmspark.workers.nn.LstmBlock;
import io.srwmspark.workers.nn.SrwmBlock;
import io.srwmspark.workers.srwm.FastWeights;
import io.srwmspark.workers.srwm.SrwmKernel;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A sequence block (SRWM, Delta Net or LSTM; package {@code nn}) as a layer of the few-shot model: its
 * parameter record is mapped onto the model's flat vector by {@link RecordParams}.
 *
 * @param <P> the block's parameter record
 * @param <F> the block's forward result
 */
public final class BlockSequence<P extends Record, F> implements SequenceModel {

    /** How to run one kind of block. */
    interface Ops<P, F> {
        P init(DataType type, long seed);

        F forward(P p, INDArray h, boolean training, DropoutSeed seed);

        INDArray out(F f);

        /** Backward; returns dL/dh and puts the parameter gradients into {@code grads[0]}. */
        INDArray backward(P p, F f, INDArray dOut, Object[] grads);
    }

    private final Ops<P, F> ops;
    private final RecordParams<P> mapping;

    private BlockSequence(Class<P> type, Ops<P, F> ops) {
        this.ops = ops;
        this.mapping = new RecordParams<>(type, ops.init(DataType.FLOAT, 0));
    }

    /** The paper's SRWM block. */
    public static SequenceModel srwm(SrwmBlock.Config c, SrwmKernel kernel) {
        SrwmBlock block = new SrwmBlock(c, kernel);
        return new BlockSequence<>(SrwmBlock.Params.class, new Ops<SrwmBlock.Params, SrwmBlock.Forward>() {
            @Override
            public SrwmBlock.Params init(DataType type, long seed) {
                SplittableRandom rng = new SplittableRandom(seed);
                long d = c.width();
                return new SrwmBlock.Params(FastWeights.init(c.heads(), c.headSize(), type, rng.nextLong()),
                        uniform(type, rng.nextLong(), d, d, d), Nd4j.ones(type, d), Nd4j.zeros(type, d),
                        new FeedForward.Weights(Nd4j.ones(type, d), Nd4j.zeros(type, d),
                                uniform(type, rng.nextLong(), d, d, c.ffSize()), uniform(type, rng.nextLong(), d,
                                        c.ffSize()), uniform(type, rng.nextLong(), c.ffSize(), c.ffSize(), d),
                                uniform(type, rng.nextLong(), c.ffSize(), d)));
            }

            @Override
            public SrwmBlock.Forward forward(SrwmBlock.Params p, INDArray h, boolean training, DropoutSeed seed) {
                return block.forward(p, h, null, null, training, seed);
            }

            @Override
            public INDArray out(SrwmBlock.Forward f) {
                return f.out();
            }

            @Override
            public INDArray backward(SrwmBlock.Params p, SrwmBlock.Forward f, INDArray dOut, Object[] grads) {
                SrwmBlock.Gradients g = block.backward(p, f, dOut, null);
                f.release();
                grads[0] = g.dParams();
                return g.dh();
            }
        });
    }

    /** The Delta Net baseline. */
    public static SequenceModel deltaNet(DeltaNetBlock.Config c) {
        DeltaNetBlock block = new DeltaNetBlock(c, new DeltaRule());
        return new BlockSequence<>(DeltaNetBlock.Params.class, new Ops<DeltaNetBlock.Params, DeltaNetBlock.Forward>() {
            @Override
            public DeltaNetBlock.Params init(DataType type, long seed) {
                return DeltaNetBlock.init(c, type, seed);
            }

            @Override
            public DeltaNetBlock.Forward forward(DeltaNetBlock.Params p, INDArray h, boolean training, DropoutSeed seed) {
                return block.forward(p, h, null, null, training, seed);
            }

            @Override
            public INDArray out(DeltaNetBlock.Forward f) {
                return f.out();
            }

            @Override
            public INDArray backward(DeltaNetBlock.Params p, DeltaNetBlock.Forward f, INDArray dOut,
                    Object[] grads) {
                DeltaNetBlock.Gradients g = block.backward(p, f, dOut, null);
                f.release();
                grads[0] = g.dParams();
                return g.dh();
            }
        });
    }

    /** The LSTM baseline (residual wiring, interchangeable with the other blocks). */
    public static SequenceModel lstm(LstmBlock.Config c) {
        LstmBlock block = new LstmBlock(c);
        return new BlockSequence<>(LstmBlock.Params.class, new Ops<LstmBlock.Params, LstmBlock.Forward>() {
            @Override
            public LstmBlock.Params init(DataType type, long seed) {
                return LstmBlock.init(c, type, seed);
            }

            @Override
            public LstmBlock.Forward forward(LstmBlock.Params p, INDArray h, boolean training, DropoutSeed seed) {
                return block.forward(p, h, null, null, training, seed);
            }

            @Override
            public INDArray out(LstmBlock.Forward f) {
                return f.out();
            }

            @Override
            public INDArray backward(LstmBlock.Params p, LstmBlock.Forward f, INDArray dOut, Object[] grads) {
                LstmBlock.Gradients g = block.backward(p, f, dOut, null);
                grads[0] = g.dParams();
                return g.dh();
            }
        });
    }

    /** U(-1/sqrt(fanIn), 1/sqrt(fanIn)), PyTorch's default for dense weights and biases. */
    static INDArray uniform(DataType type, long seed, long fanIn, long... shape) {
        INDArray a = Nd4j.zeros(DataType.DOUBLE, shape);
        Component.uniformFanIn(a, fanIn, seed);
        return a.castTo(type);
    }

    @Override
    public void declare(ParamSet.Builder params, String prefix) {
        mapping.declare(params, prefix);
    }

    @Override
    public void init(ParamSet layout, INDArray flat, String prefix, long seed) {
        mapping.assign(layout, flat, prefix, ops.init(flat.dataType(), Component.seedFor(seed, prefix)));
    }

    @Override
    public Pass forward(ParamSet layout, INDArray flat, String prefix, INDArray h, boolean training,
            DropoutSeed seed) {
        P p = mapping.views(layout, flat, prefix);
        F f = ops.forward(p, h, training, seed);
        return new Pass() {
            @Override
            public INDArray out() {
                return ops.out(f);
            }

            @Override
            @SuppressWarnings("unchecked") // grads[0] is the block's own parameter record type
            public INDArray backward(INDArray dOut, INDArray flatGrad) {
                Object[] grads = new Object[1];
                INDArray dh = ops.backward(p, f, dOut, grads);
                mapping.add(layout, flatGrad, prefix, (P) grads[0]);
                return dh;
            }
        };
    }
}
