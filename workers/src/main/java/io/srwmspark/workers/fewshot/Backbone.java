package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.rng.DropoutSeed;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The image encoder of the few-shot model: (R, C, H, W) images to (R, F) features. */
public interface Backbone extends Component {

    /** F. */
    int features();

    /** A forward pass kept for its backward. */
    interface Pass {
        /** (R, F) features. */
        INDArray features();

        /** Adds the parameter gradients into the views of {@code flatGrad}. */
        void backward(INDArray dFeatures, INDArray flatGrad);
    }

    /**
     * @param images    (R, C, H, W), R = episodes x {@code groupSize}, episode-major
     * @param groupSize images per episode: batch normalization statistics are per episode
     */
    Pass forward(ParamSet layout, INDArray flat, String prefix, INDArray images, int groupSize, boolean training,
            DropoutSeed seed);
}
