package io.srwmspark.workers.fewshot;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Softmax cross-entropy over the scored rows of a logits matrix:
 * {@code L = (1 / normalizer) sum_{i scored} -log softmax(z_i)[y_i]}, and its gradient
 * {@code dL/dz_i = (softmax(z_i) - onehot(y_i)) / normalizer} on scored rows, 0 elsewhere.
 *
 * <p>The normalizer is the number of scored rows of the whole global batch, not of this shard, so that the
 * gradient sums of the shards add up to the gradient of the global mean loss.
 */
public final class SoftmaxCrossEntropy {

    /**
     * @param lossSum sum over scored rows of -log p(target), not normalized
     * @param correct scored rows whose arg-max is the target
     * @param scored  number of scored rows
     * @param dLogits (R, N) gradient of lossSum / normalizer
     * @param correctRows (R) 1 where the row was scored and correct
     */
    public record Result(double lossSum, int correct, int scored, INDArray dLogits, int[] correctRows) {
    }

    private SoftmaxCrossEntropy() {
    }

    /**
     * @param logits     (R, N)
     * @param targets    (R) class per row
     * @param scored     (R) 1 to count the row
     * @param normalizer divisor of the loss (&gt; 0)
     */
    public static Result apply(INDArray logits, int[] targets, float[] scored, double normalizer) {
        int rows = (int) logits.size(0);
        int n = (int) logits.size(1);
        double[] z = logits.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble();
        double[] grad = new double[rows * n];
        double loss = 0;
        int correct = 0;
        int count = 0;
        int[] correctRows = new int[rows];
        for (int r = 0; r < rows; r++) {
            if (scored[r] == 0) {
                continue;
            }
            count++;
            int o = r * n;
            double max = Double.NEGATIVE_INFINITY;
            int arg = 0;
            for (int j = 0; j < n; j++) {
                if (z[o + j] > max) {
                    max = z[o + j];
                    arg = j;
                }
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sum += Math.exp(z[o + j] - max);
            }
            double logSum = Math.log(sum) + max;
            loss += logSum - z[o + targets[r]];
            if (arg == targets[r]) {
                correct++;
                correctRows[r] = 1;
            }
            for (int j = 0; j < n; j++) {
                grad[o + j] = Math.exp(z[o + j] - logSum) / normalizer;
            }
            grad[o + targets[r]] -= 1 / normalizer;
        }
        INDArray d = Nd4j.create(Nd4j.createBuffer(grad), new long[] {rows, n}).castTo(logits.dataType());
        return new Result(loss, correct, count, d, correctRows);
    }
}
