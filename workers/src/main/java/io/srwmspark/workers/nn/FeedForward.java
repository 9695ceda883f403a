package io.srwmspark.workers.nn;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The pre-LN position-wise feed-forward sublayer of both SRWM blocks, on rows s (N, D):
 * <pre>
 *   n  = LayerNorm(s; gamma, beta)                     (N, D)
 *   z1 = n W1 + b1                                     (N, F)    W1 (D, F)
 *   r  = Dropout(ReLU(z1); m2)                         (N, F)
 *   z2 = r W2 + b2                                     (N, D)    W2 (F, D)
 *   out = s + Dropout(z2; m3)                          (N, D)
 * </pre>
 * Backward, with g = dL/dout:
 * <pre>
 *   dz2 = g m3     dW2 = r^T dz2    db2 = sum_rows(dz2)
 *   dz1 = (dz2 W2^T) m2 [z1 &gt; 0]    dW1 = n^T dz1    db1 = sum_rows(dz1)
 *   ds  = g + LayerNorm'(dz1 W1^T)
 * </pre>
 */
public final class FeedForward {

    /**
     * Parameters (or their gradients) of the sublayer. Arrays are held, not copied: callers must not change
     * them during a call.
     *
     * @param lnGamma (D) layer-norm scale
     * @param lnBeta  (D) layer-norm shift
     * @param w1      (D, F) first linear map, stored (in, out)
     * @param b1      (F)
     * @param w2      (F, D) second linear map, stored (in, out)
     * @param b2      (D)
     */
    public record Weights(INDArray lnGamma, INDArray lnBeta, INDArray w1, INDArray b1, INDArray w2, INDArray b2) {

        /** Checks every shape against width D and hidden size F. */
        public Weights check(long width, long hidden) {
            Shapes.require("feed-forward ln gamma", lnGamma, width);
            Shapes.require("feed-forward ln beta", lnBeta, width);
            Shapes.require("feed-forward w1", w1, width, hidden);
            Shapes.require("feed-forward b1", b1, hidden);
            Shapes.require("feed-forward w2", w2, hidden, width);
            Shapes.require("feed-forward b2", b2, width);
            return this;
        }
    }

    /** What backward needs. */
    record Tape(LayerNorm.Tape ln, INDArray n, INDArray z1, INDArray r, INDArray dropHidden, INDArray dropOut) {
    }

    /** out (N, D) and the tape. */
    record Result(INDArray out, Tape tape) {
    }

    /** ds (N, D), residual path included, and the parameter gradients. */
    record Grads(INDArray ds, Weights dWeights) {
    }

    private FeedForward() {
    }

    /**
     * @param s          (N, D) input rows
     * @param dropHidden (N, F) dropout mask after the ReLU, or null
     * @param dropOut    (N, D) dropout mask on the sublayer output, or null
     */
    static Result forward(Weights w, INDArray s, double eps, INDArray dropHidden, INDArray dropOut) {
        LayerNorm.Result ln = LayerNorm.forward(s, w.lnGamma(), w.lnBeta(), eps);
        INDArray n = ln.y();                                            // (N, D)
        INDArray z1 = n.mmul(w.w1()).addiRowVector(w.b1());             // (N, F)
        INDArray r = Dropout.apply(Transforms.relu(z1, true), dropHidden);  // (N, F)
        INDArray z2 = r.mmul(w.w2()).addiRowVector(w.b2());             // (N, D)
        INDArray out = s.add(Dropout.apply(z2, dropOut));               // (N, D)
        return new Result(out, new Tape(ln.tape(), n, z1, r, dropHidden, dropOut));
    }

    /** @param g (N, D) dL/dout */
    static Grads backward(Weights w, Tape t, INDArray g) {
        INDArray dz2 = Dropout.apply(g, t.dropOut());                   // (N, D)
        INDArray dW2 = Nd4j.gemm(t.r(), dz2, true, false);              // (F, D)
        INDArray db2 = dz2.sum(0);                                      // (D)
        INDArray dr = Dropout.apply(Nd4j.gemm(dz2, w.w2(), false, true), t.dropHidden());  // (N, F)
        INDArray dz1 = dr.muli(t.z1().gt(0.0).castTo(dr.dataType()));   // (N, F)
        INDArray dW1 = Nd4j.gemm(t.n(), dz1, true, false);              // (D, F)
        INDArray db1 = dz1.sum(0);                                      // (F)
        INDArray dn = Nd4j.gemm(dz1, w.w1(), false, true);              // (N, D)
        LayerNorm.Grads ln = LayerNorm.backward(dn, w.lnGamma(), t.ln());
        INDArray ds = g.add(ln.dx());                                   // (N, D)
        return new Grads(ds, new Weights(ln.dGamma(), ln.dBeta(), dW1, db1, dW2, db2));
    }

    /** Shape checks shared by the blocks. */
    static final class Shapes {
        private Shapes() {
        }

        static INDArray require(String name, INDArray a, long... expected) {
            if (a == null) {
                throw new IllegalArgumentException(name + " is missing; expected shape " + Arrays.toString(expected));
            }
            if (!Arrays.equals(a.shape(), expected)) {
                throw new IllegalArgumentException(name + " must have shape " + Arrays.toString(expected) + ", got "
                        + Arrays.toString(a.shape()));
            }
            return a;
        }
    }
}
