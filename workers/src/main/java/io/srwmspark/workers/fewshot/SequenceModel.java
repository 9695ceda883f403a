package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.rng.DropoutSeed;
import org.nd4j.linalg.api.ndarray.INDArray;

/** One layer of the sequence part of the few-shot model: (B, T, D) in, (B, T, D) out. */
public interface SequenceModel extends Component {

    /** A forward pass kept for its backward. */
    interface Pass {
        /** (B, T, D) output. */
        INDArray out();

        /** Adds this layer's parameter gradients into the views of {@code flatGrad} and returns dL/dh. */
        INDArray backward(INDArray dOut, INDArray flatGrad);
    }

    /**
     * @param h        (B, T, D)
     * @param training keep what backward needs; apply dropout
     * @param seed     dropout seed
     */
    Pass forward(ParamSet layout, INDArray flat, String prefix, INDArray h, boolean training, DropoutSeed seed);
}
