package io.srwmspark.workers.fewshot;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An optional auxiliary training loss on the backbone's features (not part of the paper; off by default): the
 * prototypical-network loss of Snell et al. (2017) on each synchronous episode. Prototypes are the mean
 * support features of each label, a scored query's logits are {@code -|f_q - p_j|^2}, and the loss is their
 * cross-entropy, weighted and normalized like the main loss. It gives the CNN a metric-learning signal from the
 * first step, which helps the sequence model leave the chance plateau; evaluation never uses it.
 */
final class ProtoAux {

    private ProtoAux() {
    }

    /**
     * Adds {@code weight / normalizer * dL_proto/df} to {@code dFeatures}; returns the unnormalized loss sum.
     *
     * @param features  (R, F), R = B T episode-major
     * @param dFeatures (R, F) gradient to add into
     */
    static double apply(INDArray features, EpisodeBatch batch, double weight, double normalizer, INDArray dFeatures) {
        int b = batch.episodes();
        int t = batch.steps();
        int n = batch.spec().ways();
        int f = (int) features.size(1);
        double[] x = features.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble();
        double[] g = new double[x.length];
        double scale = weight / normalizer;
        double loss = 0;
        float[] labels = batch.labelsIn();
        int width = labels.length / (b * t);
        for (int e = 0; e < b; e++) {
            double[] proto = new double[n * f];
            int[] count = new int[n];
            for (int s = 0; s < t; s++) {
                int row = e * t + s;
                int label = fedLabel(labels, row, width);
                if (label >= 0) {
                    count[label]++;
                    for (int k = 0; k < f; k++) {
                        proto[label * f + k] += x[row * f + k];
                    }
                }
            }
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < f && count[j] > 0; k++) {
                    proto[j * f + k] /= count[j];
                }
            }
            double[] dProto = new double[n * f];
            for (int s = 0; s < t; s++) {
                int row = e * t + s;
                if (batch.scored()[row] == 0) {
                    continue;
                }
                double[] logit = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    double d = 0;
                    for (int k = 0; k < f; k++) {
                        double diff = x[row * f + k] - proto[j * f + k];
                        d += diff * diff;
                    }
                    logit[j] = count[j] > 0 ? -d : Double.NEGATIVE_INFINITY;
                    max = Math.max(max, logit[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    sum += Math.exp(logit[j] - max);
                }
                int y = batch.targets()[row];
                loss += Math.log(sum) + max - logit[y];
                for (int j = 0; j < n; j++) {
                    if (count[j] == 0) {
                        continue;
                    }
                    double dl = (Math.exp(logit[j] - max) / sum - (j == y ? 1 : 0)) * scale;
                    for (int k = 0; k < f; k++) {
                        double diff = x[row * f + k] - proto[j * f + k];
                        g[row * f + k] += -2 * diff * dl;
                        dProto[j * f + k] += 2 * diff * dl;
                    }
                }
            }
            for (int s = 0; s < t; s++) {
                int row = e * t + s;
                int label = fedLabel(labels, row, width);
                if (label >= 0) {
                    for (int k = 0; k < f; k++) {
                        g[row * f + k] += dProto[label * f + k] / count[label];
                    }
                }
            }
        }
        dFeatures.addi(Nd4j.create(Nd4j.createBuffer(g), dFeatures.shape()).castTo(dFeatures.dataType()));
        return loss;
    }

    /** The label fed with step {@code row} (a support), or -1 (a query, or the delayed setting's first step). */
    private static int fedLabel(float[] labels, int row, int n) {
        for (int j = 0; j < n; j++) {
            if (labels[row * n + j] != 0) {
                return j;
            }
        }
        return -1;
    }
}
