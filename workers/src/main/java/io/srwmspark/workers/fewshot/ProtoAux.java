package io.srwmspark.workers.fewshot;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An optional auxiliary training loss on the backbone's features (not part of the paper; off by default): the
 * prototypical-network loss of Snell et al. (2017). Synchronous episodes: prototypes are the mean support
 * features of each label and every scored query is classified against them. Delayed episodes: causally, step s
 * is classified against the prototypes of the earlier steps of its task (their labels have been fed by then),
 * among the classes seen so far, when its own class has been seen. Logits are {@code -|f - p_j|^2} and the loss
 * their cross-entropy, weighted and normalized like the main loss. It gives the CNN a metric-learning signal
 * from the first step, which helps the sequence model leave the chance plateau; evaluation never uses it.
 */
public final class ProtoAux {

    private ProtoAux() {
    }

    /**
     * Adds {@code weight / normalizer * dL_proto/df} to {@code dFeatures}; returns the unnormalized loss sum.
     *
     * @param features  (R, F), R = B T episode-major
     * @param dFeatures (R, F) gradient to add into
     */
    static double apply(INDArray features, EpisodeBatch batch, double weight, double normalizer, INDArray dFeatures) {
        int f = (int) features.size(1);
        double[] x = features.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble();
        double[] g = new double[x.length];
        double loss = batch.spec().setting() == EpisodeSpec.LabelSetting.DELAYED
                ? delayed(x, g, f, batch, weight / normalizer) : synchronous(x, g, f, batch, weight / normalizer);
        dFeatures.addi(Nd4j.create(Nd4j.createBuffer(g), dFeatures.shape()).castTo(dFeatures.dataType()));
        return loss;
    }

    /** Synchronous episodes: queries against the supports' prototypes; adds scale dL/dx into g. */
    private static double synchronous(double[] x, double[] g, int f, EpisodeBatch batch, double scale) {
        int b = batch.episodes();
        int t = batch.steps();
        int n = batch.spec().ways();
        float[] labels = batch.labelsIn();
        int width = labels.length / (b * t);
        int[] rows = new int[t];
        int[] fed = new int[t];
        int[] target = new int[t];
        double loss = 0;
        for (int e = 0; e < b; e++) {
            for (int s = 0; s < t; s++) {
                int row = e * t + s;
                rows[s] = row;
                fed[s] = fedLabel(labels, row, width);
                target[s] = batch.scored()[row] != 0 ? batch.targets()[row] : -1;
            }
            loss += episode(x, f, n, rows, fed, target, scale, null, g);
        }
        return loss;
    }

    /**
     * The prototypical loss of one episode: prototypes are the mean features of the rows fed with each label
     * ({@code fed[i] >= 0}), and each scored row ({@code target[i] >= 0}) is classified against them by
     * {@code -|f - p_j|^2}. Shared with the DL4J graph's loss function ({@code dl4j.ProtoAuxLoss}).
     *
     * @param x      (R, F) features, row-major
     * @param rows   the episode's rows of x
     * @param weight multiplies the loss in {@code score} and the gradient
     * @param score  if non-null, receives weight x the loss of each scored row
     * @param g      if non-null, receives weight x dLoss/dx (R, F)
     * @return the summed loss of the scored rows, unweighted
     */
    public static double episode(double[] x, int f, int n, int[] rows, int[] fed, int[] target, double weight,
            double[] score, double[] g) {
        double[] proto = new double[n * f];
        int[] count = new int[n];
        for (int i = 0; i < rows.length; i++) {
            if (fed[i] >= 0) {
                count[fed[i]]++;
                for (int k = 0; k < f; k++) {
                    proto[fed[i] * f + k] += x[rows[i] * f + k];
                }
            }
        }
        for (int j = 0; j < n; j++) {
            for (int k = 0; k < f && count[j] > 0; k++) {
                proto[j * f + k] /= count[j];
            }
        }
        double loss = 0;
        double[] dProto = new double[n * f];
        double[] logit = new double[n];
        for (int i = 0; i < rows.length; i++) {
            int y = target[i];
            if (y < 0) {
                continue;
            }
            int row = rows[i];
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
            double l = Math.log(sum) + max - logit[y];
            loss += l;
            if (score != null) {
                score[row] = weight * l;
            }
            if (g == null) {
                continue;
            }
            for (int j = 0; j < n; j++) {
                if (count[j] == 0) {
                    continue;
                }
                double dl = weight * (Math.exp(logit[j] - max) / sum - (j == y ? 1 : 0));     // dLoss/dlogit_j
                for (int k = 0; k < f; k++) {
                    double diff = x[row * f + k] - proto[j * f + k];
                    g[row * f + k] += -2 * diff * dl;
                    dProto[j * f + k] += 2 * diff * dl;
                }
            }
        }
        if (g != null) {
            for (int i = 0; i < rows.length; i++) {
                if (fed[i] >= 0) {
                    for (int k = 0; k < f; k++) {
                        g[rows[i] * f + k] += dProto[fed[i] * f + k] / count[fed[i]];
                    }
                }
            }
        }
        return loss;
    }

    /** Delayed episodes, causally (see the class comment); adds scale dL/dx into g. */
    private static double delayed(double[] x, double[] g, int f, EpisodeBatch batch, double scale) {
        int b = batch.episodes();
        int t = batch.steps();
        int n = batch.labelWidth();
        double loss = 0;
        int[] y = batch.targets();
        int[] task = batch.task();
        double[] proto = new double[n * f];
        int[] count = new int[n];
        double[] logit = new double[n];
        for (int e = 0; e < b; e++) {
            for (int s = 1; s < t; s++) {
                int row = e * t + s;
                if (batch.scored()[row] == 0) {
                    continue;
                }
                java.util.Arrays.fill(proto, 0);
                java.util.Arrays.fill(count, 0);
                for (int q = e * t; q < row; q++) {                      // earlier steps of the same task
                    if (task[q] == task[row]) {
                        count[y[q]]++;
                        for (int k = 0; k < f; k++) {
                            proto[y[q] * f + k] += x[q * f + k];
                        }
                    }
                }
                int seen = 0;
                for (int j = 0; j < n; j++) {
                    seen += count[j] > 0 ? 1 : 0;
                }
                if (count[y[row]] == 0 || seen < 2) {
                    continue;                                             // nothing to classify against
                }
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    if (count[j] == 0) {
                        logit[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double d = 0;
                    for (int k = 0; k < f; k++) {
                        proto[j * f + k] /= count[j];
                        double diff = x[row * f + k] - proto[j * f + k];
                        d += diff * diff;
                    }
                    logit[j] = -d;
                    max = Math.max(max, logit[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    sum += count[j] > 0 ? Math.exp(logit[j] - max) : 0;
                }
                loss += Math.log(sum) + max - logit[y[row]];
                for (int q = e * t; q <= row; q++) {
                    if (q < row && task[q] != task[row]) {
                        continue;
                    }
                    for (int j = 0; j < n; j++) {
                        if (count[j] == 0 || (q < row && y[q] != j)) {
                            continue;
                        }
                        double dl = (Math.exp(logit[j] - max) / sum - (j == y[row] ? 1 : 0)) * scale;
                        for (int k = 0; k < f; k++) {
                            double diff = x[row * f + k] - proto[j * f + k];
                            if (q == row) {
                                g[row * f + k] += -2 * diff * dl;          // d/df_s of -|f_s - p_j|^2
                            } else {
                                g[q * f + k] += 2 * diff * dl / count[j];  // through p_j = mean of its members
                            }
                        }
                    }
                }
            }
        }
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
