package io.srwmspark.workers.srwm;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One SRWM call.
 *
 * @param x            (B, H, T, E) input, float32 or float64; every other array must have the same type
 * @param weights      (H, E, 3E+4) the trainable initial matrix W_0, packed by {@link FastWeights#pack}
 * @param initialState (B, H, E, 3E+4) fast weights each sequence starts from, or null to start every
 *                     sequence from {@code weights}
 * @param mask         (B, T) 1 for a real step, 0 for a padded one, or null for all real; a padded step
 *                     outputs zeros and leaves the fast weights untouched
 * @param inputSoftmax replace x by softmax(x) over E first (the RL variant of the paper)
 */
public record SrwmInput(INDArray x, INDArray weights, INDArray initialState, INDArray mask, boolean inputSoftmax) {

    public SrwmInput {
        SrwmShape s = SrwmShape.ofInput(x.shape());
        DataType type = x.dataType();
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            throw new IllegalArgumentException("SRWM input x must be float32 or float64, got " + type);
        }
        check("weights", weights, type, s.heads(), s.headSize(), s.columns());
        if (initialState != null) {
            check("initialState", initialState, type, s.batch(), s.heads(), s.headSize(), s.columns());
        }
        if (mask != null) {
            check("mask", mask, mask.dataType(), s.batch(), s.steps());
        }
    }

    /** Input that starts every sequence from {@code weights}, no mask, no input softmax. */
    public static SrwmInput of(INDArray x, INDArray weights) {
        return new SrwmInput(x, weights, null, null, false);
    }

    public SrwmShape shape() {
        return SrwmShape.ofInput(x.shape());
    }

    public DataType dataType() {
        return x.dataType();
    }

    static void check(String name, INDArray a, DataType type, long... expected) {
        if (!Arrays.equals(a.shape(), expected)) {
            throw new IllegalArgumentException("SRWM " + name + " must have shape " + Arrays.toString(expected)
                    + ", got " + Arrays.toString(a.shape()));
        }
        if (a.dataType() != type) {
            throw new IllegalArgumentException("SRWM " + name + " must be " + type + " like x, got " + a.dataType());
        }
    }
}
