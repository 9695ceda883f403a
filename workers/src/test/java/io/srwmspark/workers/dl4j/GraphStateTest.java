package io.srwmspark.workers.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.fewshot.FewShotConfig;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.learning.AdamUpdater;

/** A dl4j-averaging graph's training state through a project checkpoint and back. */
class GraphStateTest {

    @Test
    void aRestoredGraphContinuesTrainingBitForBit() throws Exception {
        FewShotConfig cfg = FewShotGraphTest.tiny();
        ComputationGraph trained = FewShotGraph.build(cfg, 1, 16, 16);
        for (int i = 0; i < 3; i++) {
            trained.fit(EpisodeData.batch(FewShotGraphTest.source(cfg), 4L * i, 4, true));
        }
        Checkpoint c = Checkpoint.fromBytes(GraphState.checkpoint(trained, 3, Map.of("seed", "7")).toBytes(), "c");
        assertEquals(3, c.step());
        assertEquals("7", c.meta("seed"));
        assertEquals("3", c.meta(GraphState.ITERATION));
        assertEquals(trained.numParams(), c.params().length);

        // each Adam block's moments sit at its parameters' offsets; the batch-norm statistics have none
        int adamParams = 0;
        for (UpdaterBlock b : trained.getUpdater().getUpdaterBlocks()) {
            int start = b.getParamOffsetStart();
            int n = b.getParamOffsetEnd() - start;
            if (b.getGradientUpdater() instanceof AdamUpdater adam) {
                adamParams += n;
                // float32 sums in ND4J against double sums here: equal to rounding
                double m = adam.getM().sumNumber().doubleValue();
                double v = adam.getV().sumNumber().doubleValue();
                assertEquals(m, sum(c.adamM(), start, n), 1e-5 * (1 + Math.abs(m)));
                assertEquals(v, sum(c.adamV(), start, n), 1e-5 * v);
                assertTrue(v > 0, "Adam's second moments are positive after training");
            } else {
                assertEquals(0.0, sum(c.adamV(), start, n));
            }
        }
        assertTrue(adamParams > 0 && adamParams < c.params().length, "Adam blocks and state-free blocks");

        ComputationGraph restored = FewShotGraph.build(cfg, 1, 16, 16);
        assertNotEquals(trained.params(), restored.params());
        GraphState.restore(restored, c);
        assertEquals(trained.params(), restored.params());
        assertEquals(trained.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
        assertEquals(3, restored.getConfiguration().getIterationCount());

        MultiDataSet next = EpisodeData.batch(FewShotGraphTest.source(cfg), 12, 4, true);
        trained.fit(next);
        restored.fit(next);
        assertArrayEquals(trained.params().toFloatVector(), restored.params().toFloatVector());
        assertArrayEquals(trained.getUpdater().getStateViewArray().toFloatVector(),
                restored.getUpdater().getStateViewArray().toFloatVector());
    }

    @Test
    void aCheckpointOfAnotherModelIsRefused() {
        FewShotConfig cfg = FewShotGraphTest.tiny();
        ComputationGraph g = FewShotGraph.build(cfg, 1, 16, 16);
        Checkpoint exact = new Checkpoint(1, new float[3], new float[3], new float[3], Map.of());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> GraphState.restore(g, exact));
        assertTrue(ex.getMessage().contains("checkpoint has 3 parameters"), ex.getMessage());
        int size = Math.toIntExact(g.numParams());
        Checkpoint noCounter = new Checkpoint(1, new float[size], new float[size], new float[size], Map.of());
        ex = assertThrows(IllegalArgumentException.class, () -> GraphState.restore(g, noCounter));
        assertTrue(ex.getMessage().contains(GraphState.ITERATION), ex.getMessage());
    }

    private static double sum(float[] a, int from, int n) {
        double s = 0;
        for (int i = from; i < from + n; i++) {
            s += a[i];
        }
        return s;
    }
}
