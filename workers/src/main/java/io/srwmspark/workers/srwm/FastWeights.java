package io.srwmspark.workers.srwm;

import io.srwmspark.workers.rng.Seeds;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Packing of the four SRWM sub-matrices into one E x (3E+4) matrix per head: columns [0,E) are W_y,
 * [E,2E) W_q, [2E,3E) W_k and [3E,3E+4) W_b. Works for parameters (H, E, .) and states (B, H, E, .).
 */
public final class FastWeights {

    private FastWeights() {
    }

    /** Stacks w_y, w_q, w_k (..., E, E) and w_b (..., E, 4) along the last axis: (..., E, 3E+4). */
    public static INDArray pack(INDArray wy, INDArray wq, INDArray wk, INDArray wb) {
        int axis = wy.rank() - 1;
        long e = wy.size(axis);
        requireLast("w_y", wy, e);
        requireLast("w_q", wq, e);
        requireLast("w_k", wk, e);
        requireLast("w_b", wb, 4);
        return Nd4j.concat(axis, wy, wq, wk, wb).dup('c');
    }

    /** Block P of a packed matrix (a copy): 0 = y, 1 = q, 2 = k (..., E, E); 3 = b (..., E, 4). */
    public static INDArray block(INDArray packed, int p) {
        int axis = packed.rank() - 1;
        long c = packed.size(axis);
        long e = (c - 4) / 3;
        if (3 * e + 4 != c || p < 0 || p > 3) {
            throw new IllegalArgumentException("packed fast weights need a last axis of 3E+4 and block 0..3, got "
                    + c + " and " + p);
        }
        long from = p * e;
        long to = p == 3 ? c : from + e;
        INDArrayIndex[] index = new INDArrayIndex[packed.rank()];
        for (int i = 0; i < axis; i++) {
            index[i] = NDArrayIndex.all();
        }
        index[axis] = NDArrayIndex.interval(from, to);
        return packed.get(index).dup('c');
    }

    /**
     * Initialisation of the paper's code: every entry ~ Normal(0, std 1/sqrt(E)), a pure function of the seed
     * (the same matrix on every ND4J backend and thread).
     */
    public static INDArray init(int heads, int headSize, DataType type, long seed) {
        return Seeds.gaussian(type, seed, 1.0 / Math.sqrt(headSize), heads, headSize, 3L * headSize + 4);
    }

    private static void requireLast(String name, INDArray a, long expected) {
        if (a.size(a.rank() - 1) != expected) {
            throw new IllegalArgumentException("SRWM " + name + " must end in size " + expected + ", got shape "
                    + java.util.Arrays.toString(a.shape()));
        }
    }
}
