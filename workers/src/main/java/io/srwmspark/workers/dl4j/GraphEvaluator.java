package io.srwmspark.workers.dl4j;

import io.srwmspark.workers.fewshot.EpisodeBatch;
import io.srwmspark.workers.fewshot.EpisodeSource;
import io.srwmspark.workers.fewshot.Evaluator;
import io.srwmspark.workers.report.Accuracy;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;

/**
 * The project's test protocol ({@link Evaluator}) for a {@link FewShotGraph}: episodes from an
 * {@link EpisodeSource}, each episode's accuracy over its scored steps, mean and 95% CI via {@link Accuracy},
 * and the mean cross-entropy of the scored steps.
 */
public final class GraphEvaluator {

    /** How batch norm normalizes at evaluation. */
    public enum BatchNorm {
        /** DL4J's inference: the running mean and variance accumulated in training. */
        RUNNING,
        /**
         * Each episode over its own images, as the exact path does (one episode per forward pass in training
         * mode, which uses batch statistics and leaves the running averages untouched).
         */
        EPISODE;

        /** From a command-line name: running or episode. */
        public static BatchNorm of(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "running" -> RUNNING;
                case "episode" -> EPISODE;
                default -> throw new IllegalArgumentException("batch-norm mode must be running or episode, got '"
                        + name + "'");
            };
        }
    }

    private GraphEvaluator() {
    }

    /**
     * Scores episodes 0..episodes-1 of {@code source}, {@code batch} per forward pass ({@link BatchNorm#EPISODE}
     * always uses one).
     */
    public static Evaluator.Report evaluate(ComputationGraph graph, EpisodeSource source, int episodes, int batch,
            BatchNorm bn) {
        if (episodes < 1 || batch < 1) {
            throw new IllegalArgumentException("evaluation needs episodes >= 1 and batch >= 1, got " + episodes
                    + " and " + batch);
        }
        int per = bn == BatchNorm.EPISODE ? 1 : batch;
        double[] perEpisode = new double[episodes];
        double loss = 0;
        long scored = 0;
        for (int first = 0; first < episodes; first += per) {
            int count = Math.min(per, episodes - first);
            EpisodeBatch b = source.batch(first, count);
            MultiDataSet mds = EpisodeData.of(b, first, false);
            // the CnnToRnn preprocessor takes the minibatch size from graph.batchSize(), which reads the labels or
            // inputs the graph last held, and output() sets neither: without this it reshapes with the last fit's B
            graph.clear();
            graph.setInputs(mds.getFeatures());
            INDArray probs = graph.output(bn == BatchNorm.EPISODE, mds.getFeatures())[0];   // (B, N, T)
            float[] p = probs.castTo(DataType.FLOAT).dup('c').data().asFloat();
            int n = (int) probs.size(1);
            int t = b.steps();
            for (int e = 0; e < count; e++) {
                int right = 0;
                int seen = 0;
                for (int s = 0; s < t; s++) {
                    int row = e * t + s;
                    if (b.scored()[row] == 0) {
                        continue;
                    }
                    int best = 0;
                    for (int j = 1; j < n; j++) {
                        if (p[(e * n + j) * t + s] > p[(e * n + best) * t + s]) {
                            best = j;
                        }
                    }
                    int y = b.targets()[row];
                    right += best == y ? 1 : 0;
                    seen++;
                    loss -= Math.log(Math.max(p[(e * n + y) * t + s], 1e-30f));
                    scored++;
                }
                perEpisode[first + e] = seen == 0 ? 0 : right / (double) seen;
            }
        }
        return new Evaluator.Report(Accuracy.of(perEpisode), new double[][] {new double[0]}, new double[] {Double.NaN},
                scored == 0 ? Double.NaN : loss / scored);
    }
}
