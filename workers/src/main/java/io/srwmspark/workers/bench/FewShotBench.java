package io.srwmspark.workers.bench;

import io.srwmspark.workers.dl4j.EpisodeData;
import io.srwmspark.workers.dl4j.FewShotGraph;
import io.srwmspark.workers.fewshot.Adam;
import io.srwmspark.workers.fewshot.ClassImages;
import io.srwmspark.workers.fewshot.EpisodeBatch;
import io.srwmspark.workers.fewshot.EpisodeSampler;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotModel;
import io.srwmspark.workers.fewshot.FewShotSetup;
import io.srwmspark.workers.fewshot.RandomImages;
import io.srwmspark.workers.rng.Seeds;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Times full few-shot training steps (episode sampling, forward, backward, Adam) of a configuration on random
 * images of its input shape, and where the time goes.
 */
public final class FewShotBench {

    /**
     * @param model         the configured model's parameter count
     * @param stepMs        step times after warm-up
     * @param backboneMs    median per step in the CNN (forward + backward)
     * @param sequenceMs    in the sequence layers and the input projection
     * @param headMs        in the classifier and the loss
     * @param optimizerMs   in Adam
     * @param episodesPerStep global batch
     */
    public record Result(long model, Timing stepMs, double backboneMs, double sequenceMs, double headMs,
            double optimizerMs, int episodesPerStep) {

        public double episodesPerSecond() {
            return episodesPerStep / (stepMs.medianMs() / 1e3);
        }
    }

    private FewShotBench() {
    }

    /** Runs {@code warmup} untimed steps, then {@code steps} timed ones. */
    public static Result run(FewShotConfig cfg, int channels, int warmup, int steps) {
        int size = cfg.data().imageSize();
        FewShotModel model = FewShotSetup.model(cfg, channels, size, size);
        ClassImages images = RandomImages.of(Math.max(20, cfg.episode().ways()), 10, channels, size, size, 3);
        EpisodeSampler sampler = new EpisodeSampler(images, cfg.episode(), 5);
        int batch = cfg.train().batch();
        INDArray params = model.init(DataType.FLOAT, 7);
        float[] p = params.data().asFloat();
        Adam adam = new Adam(cfg.train().adam(), p.length);
        double norm = batch * (double) sampler.batch(0, 1).scoredCount();
        double[] samples = new double[steps];
        long[] parts = new long[3];
        long opt = 0;
        for (int s = 0; s < warmup + steps; s++) {
            long t0 = System.nanoTime();
            EpisodeBatch b = sampler.batch((long) s * batch, batch);
            INDArray grad = model.layout().zeros(DataType.FLOAT);
            FewShotModel.Clock clock = new FewShotModel.Clock();
            model.run(params, b, norm, Seeds.derive(1, s), grad, clock);
            long o0 = System.nanoTime();
            adam.apply(p, grad.data().asFloat());
            params.data().asNioFloat().put(0, p);
            long end = System.nanoTime();
            if (s >= warmup) {
                samples[s - warmup] = (end - t0) / 1e6;
                long[] n = clock.nanos();
                for (int i = 0; i < 3; i++) {
                    parts[i] += n[i];
                }
                opt += end - o0;
            }
        }
        double k = steps * 1e6;
        return new Result(model.layout().size(), new Timing(samples), parts[0] / k, parts[1] / k, parts[2] / k,
                opt / k, batch);
    }

    /**
     * The same steps for the DL4J graph of the configuration ({@link FewShotGraph}, strategy dl4j-averaging):
     * {@code graph.fit} on {@code train.batch} episodes (forward, backward, Adam) plus building the episodes'
     * MultiDataSet. The parts of the step are not split: backbone, sequence, head and optimizer are NaN.
     */
    public static Result runGraph(FewShotConfig cfg, int channels, int warmup, int steps) {
        int size = cfg.data().imageSize();
        ComputationGraph graph = FewShotGraph.build(cfg, channels, size, size);
        ClassImages images = RandomImages.of(Math.max(20, cfg.episode().ways()), 10, channels, size, size, 3);
        EpisodeSampler sampler = new EpisodeSampler(images, cfg.episode(), 5);
        int batch = cfg.train().batch();
        boolean aux = FewShotGraph.hasAux(cfg);
        double[] samples = new double[steps];
        for (int s = 0; s < warmup + steps; s++) {
            long t0 = System.nanoTime();
            graph.fit(EpisodeData.batch(sampler, (long) s * batch, batch, aux));
            if (s >= warmup) {
                samples[s - warmup] = (System.nanoTime() - t0) / 1e6;
            }
        }
        return new Result(graph.numParams(), new Timing(samples), Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                batch);
    }
}
