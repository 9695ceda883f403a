package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.report.Accuracy;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Test protocol of the paper: episodes from held-out classes, accuracy per episode, mean and 95% CI; in the
 * delayed setting also the accuracy of the k-th occurrence of a class (k = 1..K).
 */
public final class Evaluator {

    /**
     * @param accuracy over episodes (each episode's accuracy over its scored steps)
     * @param perShot  per task, accuracy of the k-th occurrence of a class, k = 0..K-1 (delayed setting; empty
     *                 otherwise): {@code perShot[task][k]}
     * @param perTask  per task, accuracy over its scored steps (one task unless the sequential multi-task setting)
     * @param loss     mean cross-entropy over scored steps
     */
    public record Report(Accuracy accuracy, double[][] perShot, double[] perTask, double loss) {
    }

    private Evaluator() {
    }

    /**
     * Scores {@code episodes} episodes of {@code sampler} (indices 0..episodes-1), {@code batch} at a time.
     */
    public static Report evaluate(FewShotModel model, INDArray params, EpisodeSource sampler, int episodes,
            int batch) {
        EpisodeSpec spec = sampler.spec();
        double[] perEpisode = new double[episodes];
        int shots = spec.setting() == EpisodeSpec.LabelSetting.DELAYED ? spec.shots() : 0;
        int tasks = sampler.tasks();
        long[][] shotRight = new long[tasks][shots];
        long[][] shotCount = new long[tasks][shots];
        long[] taskRight = new long[tasks];
        long[] taskCount = new long[tasks];
        double loss = 0;
        long scored = 0;
        for (int first = 0; first < episodes; first += batch) {
            int count = Math.min(batch, episodes - first);
            EpisodeBatch b = sampler.batch(first, count);
            int t = b.steps();
            FewShotModel.Result r = model.run(params, b, 1, 0, null);
            loss += r.lossSum();
            scored += r.scored();
            for (int e = 0; e < count; e++) {
                int right = 0;
                int n = 0;
                for (int s = 0; s < t; s++) {
                    int row = e * t + s;
                    if (b.scored()[row] != 0) {
                        n++;
                        right += r.correctRows()[row];
                        int task = b.task()[row];
                        taskCount[task]++;
                        taskRight[task] += r.correctRows()[row];
                        if (shots > 0 && b.shot()[row] < shots) {
                            shotCount[task][b.shot()[row]]++;
                            shotRight[task][b.shot()[row]] += r.correctRows()[row];
                        }
                    }
                }
                perEpisode[first + e] = n == 0 ? 0 : right / (double) n;
            }
        }
        double[][] perShot = new double[tasks][shots];
        double[] perTask = new double[tasks];
        for (int task = 0; task < tasks; task++) {
            perTask[task] = taskCount[task] == 0 ? Double.NaN : taskRight[task] / (double) taskCount[task];
            for (int k = 0; k < shots; k++) {
                perShot[task][k] = shotCount[task][k] == 0 ? Double.NaN
                        : shotRight[task][k] / (double) shotCount[task][k];
            }
        }
        return new Report(Accuracy.of(perEpisode), perShot, perTask, scored == 0 ? Double.NaN : loss / scored);
    }

    /**
     * The raw-pixel baseline on the same episodes: each scored query takes the label of the nearest support
     * image in Euclidean distance over raw pixel values (synchronous episodes; supports are the steps fed
     * with a label). Tells how separable the data is without learning anything.
     */
    public static io.srwmspark.workers.report.Accuracy pixelNearestNeighbour(EpisodeSource sampler, int episodes,
            int batch) {
        EpisodeSpec spec = sampler.spec();
        if (spec.setting() != EpisodeSpec.LabelSetting.SYNCHRONOUS) {
            throw new IllegalArgumentException("the pixel nearest-neighbour baseline needs synchronous episodes");
        }
        double[] perEpisode = new double[episodes];
        for (int first = 0; first < episodes; first += batch) {
            int count = Math.min(batch, episodes - first);
            EpisodeBatch b = sampler.batch(first, count);
            int t = b.steps();
            int size = b.channels() * b.height() * b.width();
            int width = b.labelsIn().length / (count * t);
            for (int e = 0; e < count; e++) {
                int right = 0;
                int n = 0;
                for (int q = 0; q < t; q++) {
                    int qr = e * t + q;
                    if (b.scored()[qr] == 0) {
                        continue;
                    }
                    n++;
                    double best = Double.POSITIVE_INFINITY;
                    int label = -1;
                    for (int s = 0; s < t; s++) {
                        int sr = e * t + s;
                        int fed = -1;
                        for (int j = 0; j < width; j++) {
                            if (b.labelsIn()[sr * width + j] != 0) {
                                fed = j;
                            }
                        }
                        if (fed < 0) {
                            continue;
                        }
                        double d = 0;
                        for (int k = 0; k < size; k++) {
                            double diff = b.images()[qr * size + k] - b.images()[sr * size + k];
                            d += diff * diff;
                        }
                        if (d < best) {
                            best = d;
                            label = fed;
                        }
                    }
                    right += label == b.targets()[qr] ? 1 : 0;
                }
                perEpisode[first + e] = n == 0 ? 0 : right / (double) n;
            }
        }
        return io.srwmspark.workers.report.Accuracy.of(perEpisode);
    }
}
