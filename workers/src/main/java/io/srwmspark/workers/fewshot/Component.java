package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.rng.Seeds;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A part of a model whose parameters live in a {@link ParamSet} under a name prefix. */
public interface Component {

    /** Declares this component's parameters, names prefixed by {@code prefix}. */
    void declare(ParamSet.Builder params, String prefix);

    /** Writes initial values into the views of {@code flat}. */
    void init(ParamSet layout, INDArray flat, String prefix, long seed);

    /**
     * PyTorch's default initialisation of a dense or convolutional weight and bias: U(-1/sqrt(fanIn),
     * 1/sqrt(fanIn)) (kaiming-uniform with a = sqrt(5) gives the same bound), drawn from {@code seed}.
     */
    static void uniformFanIn(INDArray target, long fanIn, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(fanIn);
        double[] v = new double[(int) target.length()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (2 * rng.nextDouble() - 1) * bound;
        }
        target.assign(org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.factory.Nd4j.createBuffer(v),
                target.shape()).castTo(target.dataType()));
    }

    /** A seed for parameter {@code name} under the model seed. */
    static long seedFor(long seed, String name) {
        return Seeds.derive(seed, name.hashCode());
    }
}
