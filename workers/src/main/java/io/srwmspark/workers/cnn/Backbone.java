package io.srwmspark.workers.cnn;

import io.srwmspark.workers.rng.DropoutSeed;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A CNN feature extractor with an explicit forward and backward: images (N, C, H, W) to features (N, F).
 *
 * <p>Batch norm statistics are computed per episode: the N images are {@code N / groupSize} consecutive
 * groups, each normalized over its own images, in training and evaluation alike (no running statistics). An
 * episode's features therefore do not depend on the other episodes of the batch, which keeps data-parallel
 * training exact (docs/DESIGN.md section 5).
 *
 * @param <P> the parameter record (also the type of the gradients)
 */
public interface Backbone<P extends Backbone.Parameters> {

    /** Parameters, or gradients of a loss with respect to them. */
    interface Parameters {

        /**
         * Every array in a fixed order under a stable name (e.g. {@code block0.conv.weight}): the layout of a
         * flat parameter vector. The arrays are held, not copied.
         */
        Map<String, INDArray> named();

        /** Number of scalar parameters. */
        default long count() {
            return named().values().stream().mapToLong(INDArray::length).sum();
        }
    }

    /** What a training forward keeps for backward; {@link #release()} hands its memory back for reuse. */
    interface Tape {
        void release();
    }

    /**
     * Result of a forward run.
     *
     * @param features (N, F) features, float32 or float64 like the parameters
     * @param tape     what backward needs, or null after an evaluation forward
     */
    record Forward(INDArray features, Tape tape) {

        /** Frees the tape of a training forward that will not be backpropagated (backward frees it itself). */
        public void release() {
            if (tape != null) {
                tape.release();
            }
        }
    }

    /** F, features per image. */
    int features();

    /** Parameters initialized like PyTorch's defaults, a pure function of {@code seed}. */
    P init(DataType type, long seed);

    /** Parameters from arrays named as {@link Parameters#named()} lists them (e.g. views of a flat vector). */
    P fromNamed(Map<String, INDArray> named);

    /**
     * Runs the backbone.
     *
     * @param params      parameters, all of the images' data type
     * @param images      (N, C, H, W), episode-major: images [g s, (g+1) s) form episode g, s = groupSize
     * @param groupSize   images per episode (batch-norm group); must divide N
     * @param training    apply dropout and keep a tape for backward
     * @param dropoutSeed where the dropout masks come from: image i's mask at block b is drawn from
     *                    {@code dropoutSeed.rowSeed(b, i)}, so it does not depend on the other images of the batch
     */
    Forward forward(P params, INDArray images, int groupSize, boolean training, DropoutSeed dropoutSeed);

    /** As the {@link DropoutSeed} overload with images numbered from 0. */
    default Forward forward(P params, INDArray images, int groupSize, boolean training, long dropoutSeed) {
        return forward(params, images, groupSize, training, DropoutSeed.of(dropoutSeed));
    }

    /**
     * Backpropagates dL/dfeatures through a training forward (once: the tape is freed afterwards).
     *
     * @return dL/d(every parameter), summed over the batch, in the layout of the parameters
     */
    P backward(P params, Forward forward, INDArray dFeatures);
}
