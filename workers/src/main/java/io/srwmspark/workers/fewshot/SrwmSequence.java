package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.nn.FeedForward;
import io.srwmspark.workers.nn.SrwmBlock;
import io.srwmspark.workers.srwm.FastWeights;
import io.srwmspark.workers.srwm.SrwmKernel;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link SrwmBlock} as a layer of the few-shot model. */
public final class SrwmSequence implements SequenceModel {

    private final SrwmBlock block;

    public SrwmSequence(SrwmBlock.Config config, SrwmKernel kernel) {
        this.block = new SrwmBlock(config, kernel);
    }

    @Override
    public void declare(ParamSet.Builder p, String prefix) {
        SrwmBlock.Config c = block.config();
        long d = c.width();
        p.add(prefix + "w0", c.heads(), c.headSize(), 3L * c.headSize() + 4);
        p.add(prefix + "wOut", d, d);
        p.add(prefix + "ln1Gamma", d);
        p.add(prefix + "ln1Beta", d);
        p.add(prefix + "ln2Gamma", d);
        p.add(prefix + "ln2Beta", d);
        p.add(prefix + "ffW1", d, c.ffSize());
        p.add(prefix + "ffB1", c.ffSize());
        p.add(prefix + "ffW2", c.ffSize(), d);
        p.add(prefix + "ffB2", d);
    }

    @Override
    public void init(ParamSet layout, INDArray flat, String prefix, long seed) {
        SrwmBlock.Config c = block.config();
        INDArray w0 = layout.view(flat, prefix + "w0");
        w0.assign(FastWeights.init(c.heads(), c.headSize(), w0.dataType(), Component.seedFor(seed, prefix + "w0")));
        long d = c.width();
        Component.uniformFanIn(layout.view(flat, prefix + "wOut"), d, Component.seedFor(seed, prefix + "wOut"));
        layout.view(flat, prefix + "ln1Gamma").assign(1);
        layout.view(flat, prefix + "ln2Gamma").assign(1);
        for (String n : new String[] {"ffW1", "ffB1"}) {
            Component.uniformFanIn(layout.view(flat, prefix + n), d, Component.seedFor(seed, prefix + n));
        }
        for (String n : new String[] {"ffW2", "ffB2"}) {
            Component.uniformFanIn(layout.view(flat, prefix + n), c.ffSize(), Component.seedFor(seed, prefix + n));
        }
    }

    private static SrwmBlock.Params params(ParamSet layout, INDArray flat, String prefix) {
        return new SrwmBlock.Params(layout.view(flat, prefix + "w0"), layout.view(flat, prefix + "wOut"),
                layout.view(flat, prefix + "ln1Gamma"), layout.view(flat, prefix + "ln1Beta"),
                new FeedForward.Weights(layout.view(flat, prefix + "ln2Gamma"), layout.view(flat, prefix + "ln2Beta"),
                        layout.view(flat, prefix + "ffW1"), layout.view(flat, prefix + "ffB1"),
                        layout.view(flat, prefix + "ffW2"), layout.view(flat, prefix + "ffB2")));
    }

    @Override
    public Pass forward(ParamSet layout, INDArray flat, String prefix, INDArray h, boolean training, long seed) {
        SrwmBlock.Params p = params(layout, flat, prefix);
        SrwmBlock.Forward f = block.forward(p, h, null, null, training, seed);
        return new Pass() {
            @Override
            public INDArray out() {
                return f.out();
            }

            @Override
            public INDArray backward(INDArray dOut, INDArray flatGrad) {
                SrwmBlock.Gradients g = block.backward(p, f, dOut, null);
                f.release();
                SrwmBlock.Params d = g.dParams();
                layout.view(flatGrad, prefix + "w0").addi(d.weights());
                layout.view(flatGrad, prefix + "wOut").addi(d.wOut());
                layout.view(flatGrad, prefix + "ln1Gamma").addi(d.ln1Gamma());
                layout.view(flatGrad, prefix + "ln1Beta").addi(d.ln1Beta());
                FeedForward.Weights ff = d.ff();
                layout.view(flatGrad, prefix + "ln2Gamma").addi(ff.lnGamma());
                layout.view(flatGrad, prefix + "ln2Beta").addi(ff.lnBeta());
                layout.view(flatGrad, prefix + "ffW1").addi(ff.w1());
                layout.view(flatGrad, prefix + "ffB1").addi(ff.b1());
                layout.view(flatGrad, prefix + "ffW2").addi(ff.w2());
                layout.view(flatGrad, prefix + "ffB2").addi(ff.b2());
                return g.dh();
            }
        };
    }
}
