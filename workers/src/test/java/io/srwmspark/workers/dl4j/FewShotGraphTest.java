package io.srwmspark.workers.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.fewshot.ClassImages;
import io.srwmspark.workers.fewshot.EpisodeBatch;
import io.srwmspark.workers.fewshot.EpisodeSampler;
import io.srwmspark.workers.fewshot.EpisodeSource;
import io.srwmspark.workers.fewshot.Evaluator;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotSetup;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.store.RunStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.preprocessor.CnnToRnnPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.RnnToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/** The few-shot model as a DL4J ComputationGraph: structure, data layout, training, evaluation, files. */
class FewShotGraphTest {

    /** 3-way 1-shot, 2 queries, 16x16 grey images, Conv-4 with 4 channels, D 16, 2 heads, 1 SRWM layer. */
    static FewShotConfig tiny(String... overrides) {
        String text = String.join("\n", "data.image-size = 16", "episode.ways = 3", "episode.shots = 1",
                "episode.queries = 2", "model.channels = 4", "model.width = 16", "model.heads = 2", "model.layers = 1",
                "model.ff-multiplier = 2", "train.batch = 4", "train.lr = 3e-3", "train.aux-proto = 1.0",
                "train.seed = 3");
        return FewShotConfig.from(Conf.parse(text, "test").with(List.of(overrides)));
    }

    /** Classes of 1 x 16 x 16 images: a fixed random pattern per class plus per-image noise. */
    record NoisyClasses(int classes, int perClass, long seed) implements ClassImages {
        @Override
        public int numClasses() {
            return classes;
        }

        @Override
        public int numImages(int c) {
            return perClass;
        }

        @Override
        public int channels() {
            return 1;
        }

        @Override
        public int height() {
            return 16;
        }

        @Override
        public int width() {
            return 16;
        }

        @Override
        public void copyImage(int c, int i, float[] dst, int offset) {
            SplittableRandom pattern = new SplittableRandom(seed * 1_000_003L + c);
            SplittableRandom noise = new SplittableRandom(seed * 7_000_003L + c * 1009L + i);
            for (int k = 0; k < 256; k++) {
                dst[offset + k] = (float) (pattern.nextGaussian() + 0.3 * noise.nextGaussian());
            }
        }

        @Override
        public String className(int c) {
            return "class" + c;
        }
    }

    static EpisodeSource source(FewShotConfig cfg) {
        return new EpisodeSampler(new NoisyClasses(10, 5, 11), cfg.episode(), 21, cfg.episode().ways());
    }

    @Test
    void parameterCountIsTheExactModelsPlusBatchNormRunningStatistics() {
        FewShotConfig cfg = tiny();
        ComputationGraph g = FewShotGraph.build(cfg, 1, 16, 16);
        long exact = FewShotSetup.model(cfg, 1, 16, 16).layout().size();
        // every batch-norm layer (4, of 4 channels) also stores its running mean and variance as parameters
        assertEquals(exact + 4 * 2 * 4, g.numParams());
        assertEquals(2, g.getNumOutputArrays(), "main output and the auxiliary prototypical loss");
        assertEquals(1, FewShotGraph.build(tiny("train.aux-proto=0"), 1, 16, 16).getNumOutputArrays());
        ComputationGraph again = FewShotGraph.build(cfg, 1, 16, 16);
        assertEquals(g.params(), again.params(), "initialization is a function of the run seed");
        assertNotEquals(g.params(), FewShotGraph.build(tiny("train.seed=4"), 1, 16, 16).params());
    }

    @Test
    void trainsOnTinyEpisodes() {
        FewShotConfig cfg = tiny();
        ComputationGraph g = FewShotGraph.build(cfg, 1, 16, 16);
        MultiDataSet batch = EpisodeData.batch(source(cfg), 0, 4, true);
        INDArray before = g.params().dup();
        double first = g.score(batch, true);
        for (int i = 0; i < 25; i++) {
            g.fit(batch);
            assertTrue(Double.isFinite(g.score()), "score at fit " + i + ": " + g.score());
        }
        double last = g.score(batch, true);
        assertTrue(Double.isFinite(first) && last < 0.7 * first, "loss " + first + " -> " + last);
        assertFalse(before.equalsWithEps(g.params(), 1e-6), "parameters changed");
    }

    @Test
    void episodeDataPutsEveryStepWhereTheGraphExpectsIt() {
        FewShotConfig cfg = tiny();
        EpisodeSource src = source(cfg);
        EpisodeBatch b = src.batch(40, 2);
        MultiDataSet m = EpisodeData.of(b, 40, true);
        int t = b.steps();
        assertEquals(5, t);
        assertArrayEquals(new long[] {2, 256, t}, m.getFeatures(0).shape());
        assertArrayEquals(new long[] {2, 3, t}, m.getFeatures(1).shape());
        assertArrayEquals(new long[] {2, 3, t}, m.getLabels(0).shape());
        assertArrayEquals(new long[] {2, 7, t}, m.getLabels(1).shape());
        assertArrayEquals(new long[] {2, t}, m.getLabelsMaskArray(0).shape());
        for (int e = 0; e < 2; e++) {
            for (int s = 0; s < t; s++) {
                int row = e * t + s;
                for (int k = 0; k < 256; k += 37) {
                    assertEquals(b.images()[row * 256 + k], m.getFeatures(0).getFloat(e, k, s));
                }
                for (int j = 0; j < 3; j++) {
                    assertEquals(b.labelsIn()[row * 3 + j], m.getFeatures(1).getFloat(e, j, s));
                    assertEquals(b.targets()[row] == j ? 1f : 0f, m.getLabels(0).getFloat(e, j, s));
                    assertEquals(b.labelsIn()[row * 3 + j], m.getLabels(1).getFloat(e, j, s));
                    assertEquals(b.scored()[row] != 0 && b.targets()[row] == j ? 1f : 0f,
                            m.getLabels(1).getFloat(e, 3 + j, s));
                }
                assertEquals(b.scored()[row], m.getLabelsMaskArray(0).getFloat(e, s));
                assertEquals(40 + e, m.getLabels(1).getFloat(e, 6, s), "episode key");
            }
        }
        assertEquals(4, m.getLabelsMaskArray(0).sumNumber().intValue(), "2 scored queries per episode");
        // one-example sets are what dl4j-spark workers merge into minibatches: same arrays
        List<org.nd4j.linalg.dataset.api.MultiDataSet> single = new ArrayList<>(EpisodeData.single(src, 40, 2, true));
        MultiDataSet merged = MultiDataSet.merge(single);
        assertEquals(m.getFeatures(0), merged.getFeatures(0));
        assertEquals(m.getLabels(1), merged.getLabels(1));
        assertEquals(m.getLabelsMaskArray(0), merged.getLabelsMaskArray(0));
    }

    @Test
    void rnnToCnnFeedsEachStepsImageIntactAndCnnToRnnRestoresTheLayout() {
        int b = 2;
        int t = 3;
        INDArray in = Nd4j.rand(DataType.FLOAT, b, 2 * 4 * 4, t);                        // (B, C H W, T)
        LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
        INDArray images = new RnnToCnnPreProcessor(4, 4, 2).preProcess(in, b, ws);      // (B T, C, H, W)
        assertArrayEquals(new long[] {b * t, 2, 4, 4}, images.shape());
        for (int e = 0; e < b; e++) {
            for (int s = 0; s < t; s++) {
                INDArray want = in.get(org.nd4j.linalg.indexing.NDArrayIndex.point(e),
                        org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(s))
                        .dup('c').reshape('c', 2, 4, 4);
                boolean found = false;
                for (int r = 0; r < b * t && !found; r++) {
                    found = images.get(org.nd4j.linalg.indexing.NDArrayIndex.point(r)).equals(want);
                }
                assertTrue(found, "image of episode " + e + " step " + s);
            }
        }
        INDArray back = new CnnToRnnPreProcessor(4, 4, 2).preProcess(images, b, ws);
        assertEquals(in, back);
    }

    @Test
    void protoAuxLossGradientMatchesCentralDifferences() {
        int n = 3;
        int f = 4;
        // two episodes, rows interleaved (DL4J's 2-d order is not episode-major): supports of labels 0..2, queries
        int[] key = {7, 9, 7, 9, 7, 9, 7, 9, 7};
        int[] fed = {0, 2, 1, 0, 2, 1, -1, -1, -1};
        int[] query = {-1, -1, -1, -1, -1, -1, 1, 2, 0};
        int rows = key.length;
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, rows, 2 * n + 1);
        for (int r = 0; r < rows; r++) {
            if (fed[r] >= 0) {
                labels.putScalar(r, fed[r], 1);
            }
            if (query[r] >= 0) {
                labels.putScalar(r, n + query[r], 1);
            }
            labels.putScalar(r, 2 * n, key[r]);
        }
        INDArray x = Nd4j.rand(DataType.DOUBLE, rows, f).subi(0.5);
        ProtoAuxLoss loss = new ProtoAuxLoss(0.7);
        ActivationIdentity id = new ActivationIdentity();
        INDArray grad = loss.computeGradient(labels, x.dup(), id, null);
        double h = 1e-6;
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < f; k++) {
                INDArray plus = x.dup();
                plus.putScalar(r, k, x.getDouble(r, k) + h);
                INDArray minus = x.dup();
                minus.putScalar(r, k, x.getDouble(r, k) - h);
                double numeric = (loss.computeScore(labels, plus, id, null, false)
                        - loss.computeScore(labels, minus, id, null, false)) / (2 * h);
                assertEquals(numeric, grad.getDouble(r, k), 1e-6 + 1e-5 * Math.abs(numeric), "row " + r + " k " + k);
            }
        }
        INDArray perRow = loss.computeScoreArray(labels, x, id, null);
        assertEquals(0, perRow.getDouble(0, 0), "supports are not scored");
        assertTrue(perRow.getDouble(6, 0) > 0 && perRow.getDouble(8, 0) > 0);
        // a query sitting on its own prototype, far from the others: loss near 0
        INDArray near = Nd4j.zeros(DataType.DOUBLE, 4, 2);
        near.putRow(0, Nd4j.createFromArray(10.0, 0.0));
        near.putRow(1, Nd4j.createFromArray(0.0, 10.0));
        near.putRow(2, Nd4j.createFromArray(-10.0, 0.0));
        near.putRow(3, Nd4j.createFromArray(0.0, 10.0));
        INDArray nl = Nd4j.zeros(DataType.DOUBLE, 4, 7);
        nl.putScalar(0, 0, 1);
        nl.putScalar(1, 1, 1);
        nl.putScalar(2, 2, 1);
        nl.putScalar(3, 3 + 1, 1);
        assertEquals(0, new ProtoAuxLoss(1).computeScore(nl, near, id, null, false), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new ProtoAuxLoss(0));
    }

    @Test
    void configurationRoundTripsThroughJsonWithTheCustomLoss() {
        ComputationGraphConfiguration conf = FewShotGraph.config(tiny(), 1, 16, 16);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        assertTrue(conf.toJson().contains("ProtoAuxLoss"));
    }

    @Test
    void settingsTheGraphDoesNotImplementAreRejectedByKey() {
        for (String[] bad : new String[][] {{"model.sequence=lstm", "model.sequence = lstm"},
                {"model.backbone=res12", "model.backbone = res12"}, {"model.dropout=0.1", "model.dropout = 0.1"},
                {"train.curriculum=10", "train.curriculum = 10"}, {"train.schedule=noam", "train.schedule = noam"},
                {"train.clip=1", "train.clip = 1.0"}}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> FewShotGraph.config(tiny(bad[0]), 1, 16, 16));
            assertTrue(ex.getMessage().contains(bad[1]), ex.getMessage());
        }
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> tiny("train.strategy=averaging"));
        assertTrue(ex.getMessage().contains("train.strategy"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> tiny("train.averaging-frequency=0"));
        assertTrue(ex.getMessage().contains("train.averaging-frequency"), ex.getMessage());
    }

    @Test
    void evaluatesByTheProtocolAndEpisodeModeLeavesTheRunningStatisticsAlone(@TempDir Path tmp) throws Exception {
        FewShotConfig cfg = tiny();
        ComputationGraph g = FewShotGraph.build(cfg, 1, 16, 16);
        MultiDataSet batch = EpisodeData.batch(source(cfg), 0, 4, true);
        for (int i = 0; i < 5; i++) {
            g.fit(batch);
        }
        EpisodeSource test = new EpisodeSampler(new NoisyClasses(10, 5, 12),
                FewShotTrainer.evalSpec(cfg.episode()), 5, 3);
        INDArray params = g.params().dup();
        Evaluator.Report running = GraphEvaluator.evaluate(g, test, 9, 4, GraphEvaluator.BatchNorm.RUNNING);
        Evaluator.Report episode = GraphEvaluator.evaluate(g, test, 9, 4, GraphEvaluator.BatchNorm.EPISODE);
        assertEquals(params, g.params(), "evaluation changes no parameter (running statistics included)");
        for (Evaluator.Report r : List.of(running, episode)) {
            assertEquals(9, r.accuracy().episodes());
            // one scored query per episode: every episode's accuracy is 0 or 1, so the mean is a multiple of 1/9
            assertEquals(0, Math.abs(r.accuracy().mean() * 9 - Math.round(r.accuracy().mean() * 9)), 1e-9);
            assertTrue(Double.isFinite(r.loss()) && r.loss() > 0);
        }
        assertEquals(running.accuracy(), GraphEvaluator.evaluate(g, test, 9, 2, GraphEvaluator.BatchNorm.RUNNING)
                .accuracy(), "with running statistics the batch size does not matter");
        Path file = tmp.resolve("m.zip");
        GraphFile.write(g, "train.seed = 3\n", RunStore.open(tmp.toString()), "m.zip");
        GraphFile back = GraphFile.read(file);
        assertEquals("train.seed = 3\n", back.configText());
        assertEquals(params, back.graph().params());
        assertEquals(running.accuracy(), GraphEvaluator.evaluate(back.graph(), test, 9, 4,
                GraphEvaluator.BatchNorm.RUNNING).accuracy());
        assertThrows(IllegalArgumentException.class, () -> GraphFile.read(tmp.resolve("none.zip")));
    }
}
