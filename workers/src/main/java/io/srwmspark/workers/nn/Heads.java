package io.srwmspark.workers.nn;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Conversions between the blocks' (B, T, D) layout and the SRWM kernel's (B, H, T, E), plus input checks. */
final class Heads {

    private Heads() {
    }

    /** (B, T, D) to (B, H, T, E) with D = H E: a c-ordered copy. */
    static INDArray split(INDArray btd, int heads) {
        long b = btd.size(0);
        long t = btd.size(1);
        long e = btd.size(2) / heads;
        return btd.reshape('c', b, t, heads, e)                         // (B, T, H, E)
                .permute(0, 2, 1, 3)                                    // (B, H, T, E)
                .dup('c');
    }

    /** (B, H, T, E) to rows (B*T, D), row b*T + t: a c-ordered copy. */
    static INDArray mergeToRows(INDArray bhte) {
        long b = bhte.size(0);
        long h = bhte.size(1);
        long t = bhte.size(2);
        long e = bhte.size(3);
        return bhte.permute(0, 2, 1, 3)                                 // (B, T, H, E)
                .dup('c')
                .reshape('c', b * t, h * e);                            // (B*T, D)
    }

    /** Checks a block input h (B, T, D) and returns it as c-ordered rows (B*T, D). */
    static INDArray rows(String block, INDArray h, long width) {
        if (h == null || h.rank() != 3 || h.size(2) != width) {
            throw new IllegalArgumentException(block + " input h must have shape (B, T, " + width + "), got "
                    + (h == null ? "null" : Arrays.toString(h.shape())));
        }
        DataType type = h.dataType();
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            throw new IllegalArgumentException(block + " input h must be float32 or float64, got " + type);
        }
        return h.reshape('c', h.size(0) * h.size(1), width);
    }

    /** The (B, T) step mask as rows (B*T, 1) of {@code type}, or null. */
    static INDArray rowMask(String block, INDArray mask, long batch, long steps, DataType type) {
        if (mask == null) {
            return null;
        }
        if (!Arrays.equals(mask.shape(), new long[] {batch, steps})) {
            throw new IllegalArgumentException(block + " mask must have shape (B, T) = (" + batch + ", " + steps
                    + "), got " + Arrays.toString(mask.shape()));
        }
        return mask.castTo(type).dup('c').reshape('c', batch * steps, 1);
    }

    /** Checks that a parameter has the block's floating-point type. */
    static void requireType(String name, INDArray a, DataType type) {
        if (a.dataType() != type) {
            throw new IllegalArgumentException(name + " must be " + type + " like the input h, got " + a.dataType());
        }
    }

    /** Checks dL/dout against the forward output. */
    static INDArray gradRows(String block, INDArray gradOut, INDArray out) {
        if (gradOut == null || !Arrays.equals(gradOut.shape(), out.shape())) {
            throw new IllegalArgumentException(block + " gradOut must have the output's shape "
                    + Arrays.toString(out.shape()) + ", got "
                    + (gradOut == null ? "null" : Arrays.toString(gradOut.shape())));
        }
        requireType(block + " gradOut", gradOut, out.dataType());
        return gradOut.reshape('c', out.size(0) * out.size(1), out.size(2));
    }
}
