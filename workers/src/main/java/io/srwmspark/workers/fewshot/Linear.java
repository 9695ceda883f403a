package io.srwmspark.workers.fewshot;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A dense layer {@code y = x W + b}, W stored (in, out). Backward: {@code dW = x^T dy},
 * {@code db = sum_rows dy}, {@code dx = dy W^T}.
 */
public final class Linear {

    private Linear() {
    }

    /** y (R, out) = x (R, in) W (in, out) + b (out). */
    public static INDArray forward(INDArray x, INDArray w, INDArray b) {
        INDArray y = x.mmul(w);
        if (b != null) {
            y.addiRowVector(b);
        }
        return y;
    }

    /** Writes dW and db (when db is not null) and returns dx (or null when not wanted). */
    public static INDArray backward(INDArray x, INDArray w, INDArray dy, INDArray dW, INDArray db, boolean wantDx) {
        dW.assign(x.transpose().mmul(dy));
        if (db != null) {
            db.assign(dy.sum(0));
        }
        return wantDx ? dy.mmul(w.transpose()) : null;
    }
}
