package io.srwmspark.workers.srwm;

/**
 * Sizes of one SRWM call: batch B, heads H, time steps T, head size E. The fast weights of one head are an
 * E x C matrix with C = 3E + 4 columns, packed as [W_y | W_q | W_k | W_b] (see {@link FastWeights}).
 */
public record SrwmShape(int batch, int heads, int steps, int headSize) {

    public SrwmShape {
        if (batch < 1 || heads < 1 || steps < 1 || headSize < 1) {
            throw new IllegalArgumentException("SRWM shape (B,H,T,E) = (" + batch + "," + heads + "," + steps
                    + "," + headSize + "): every size must be >= 1");
        }
    }

    /** Reads (B, H, T, E) from a rank-4 array shape. */
    public static SrwmShape ofInput(long[] shape) {
        if (shape.length != 4) {
            throw new IllegalArgumentException("SRWM input x must have rank 4 (B,H,T,E), got shape "
                    + java.util.Arrays.toString(shape));
        }
        return new SrwmShape(Math.toIntExact(shape[0]), Math.toIntExact(shape[1]), Math.toIntExact(shape[2]),
                Math.toIntExact(shape[3]));
    }

    /** Columns of one head's packed fast-weight matrix: 3E + 4. */
    public int columns() {
        return 3 * headSize + 4;
    }

    /** Model width D = H * E. */
    public int width() {
        return heads * headSize;
    }

    /** Floating-point operations of one forward and backward pass (about 20 E C per position and head). */
    public double flopsForwardBackward() {
        return 20.0 * batch * heads * steps * (double) headSize * columns();
    }

    @Override
    public String toString() {
        return "(" + batch + "," + heads + "," + steps + "," + headSize + ")";
    }
}
