package io.srwmspark.workers.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Layer normalisation over each row of an (N, D) matrix, biased variance:
 * <pre>
 *   mu = mean(x)    var = mean((x - mu)^2)    r = 1 / sqrt(var + eps)
 *   xhat = (x - mu) r                          y = xhat * gamma + beta
 * </pre>
 * Backward, with dy = dL/dy and g = dy * gamma (all per row):
 * <pre>
 *   dx = r (g - mean(g) - xhat mean(g xhat))   dgamma = sum_rows(dy xhat)   dbeta = sum_rows(dy)
 * </pre>
 */
final class LayerNorm {

    /** What backward needs: xhat (N, D) and r (N, 1). */
    record Tape(INDArray xhat, INDArray rstd) {
    }

    /** y (N, D) and the tape. */
    record Result(INDArray y, Tape tape) {
    }

    /** dx (N, D), dgamma (D), dbeta (D). */
    record Grads(INDArray dx, INDArray dGamma, INDArray dBeta) {
    }

    private LayerNorm() {
    }

    static Result forward(INDArray x, INDArray gamma, INDArray beta, double eps) {
        INDArray mu = x.mean(true, 1);                                  // (N, 1)
        INDArray xc = x.subColumnVector(mu);                            // (N, D)
        INDArray var = xc.mul(xc).mean(true, 1);                        // (N, 1), biased
        INDArray rstd = Transforms.pow(var.addi(eps), -0.5, false);     // (N, 1)
        INDArray xhat = xc.muliColumnVector(rstd);                      // (N, D)
        INDArray y = xhat.mulRowVector(gamma).addiRowVector(beta);      // (N, D)
        return new Result(y, new Tape(xhat, rstd));
    }

    static Grads backward(INDArray dy, INDArray gamma, Tape tape) {
        INDArray xhat = tape.xhat();
        INDArray dGamma = dy.mul(xhat).sum(0);                          // (D)
        INDArray dBeta = dy.sum(0);                                     // (D)
        INDArray g = dy.mulRowVector(gamma);                            // (N, D)
        INDArray meanG = g.mean(true, 1);                               // (N, 1)
        INDArray meanGx = g.mul(xhat).mean(true, 1);                    // (N, 1)
        INDArray dx = g.subiColumnVector(meanG)
                .subi(xhat.mulColumnVector(meanGx))
                .muliColumnVector(tape.rstd());                         // (N, D)
        return new Grads(dx, dGamma, dBeta);
    }
}
