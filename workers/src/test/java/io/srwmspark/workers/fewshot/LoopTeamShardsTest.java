package io.srwmspark.workers.fewshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.concurrent.LoopTeam;
import io.srwmspark.workers.concurrent.Parallel;
import io.srwmspark.workers.config.Conf;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Shards computed by one-core tasks that lend each other their cores ({@link LoopTeam}, what an executor does)
 * give the bits of the same shards computed alone: the conv backbone's chunk loops and the sequence kernels'
 * range loops, run partly by the other member, change nothing.
 */
class LoopTeamShardsTest {

    private static final ExecutorService TASKS = Executors.newFixedThreadPool(2);
    private static final int SIDE = 28;

    @AfterAll
    static void shutDown() {
        TASKS.shutdownNow();
    }

    @ParameterizedTest
    @ValueSource(strings = {"srwm", "deltanet"})
    void shardsInATeamGiveTheBitsOfShardsAlone(String sequence) throws Exception {
        FewShotConfig cfg = FewShotConfig.from(Conf.parse(String.join("\n", "episode.ways = 3", "episode.queries = 2",
                "model.channels = 4", "model.width = 8", "model.heads = 2", "model.layers = 2",
                "model.dropout = 0.2", "model.sequence = " + sequence, "train.batch = 32", "train.aux-proto = 0.5"),
                "test"));
        ClassImages images = RandomImages.of(12, 6, 1, SIDE, SIDE, 3);
        FewShotModel model = FewShotSetup.model(cfg, 1, SIDE, SIDE);
        INDArray params = model.init(DataType.FLOAT, 4);
        int[][] shards = {{0, 2}, {2, 32}};                       // a short shard, whose task then helps
        GradientSum[] alone = new GradientSum[2];
        for (int i = 0; i < 2; i++) {
            int[] s = shards[i];
            alone[i] = Parallel.inline(() -> FewShotTrainer.shard(cfg, model, images, 5, params, s[0], s[1]));
        }
        long lent0 = LoopTeam.lentTotal();
        for (int attempt = 0; attempt < 3; attempt++) {
            Object key = "step 5, attempt " + attempt;
            CountDownLatch shortDone = new CountDownLatch(1);
            Future<GradientSum> small = TASKS.submit(() -> LoopTeam.work(key, () -> {
                GradientSum g = FewShotTrainer.shard(cfg, model, images, 5, params, 0, 2);
                shortDone.countDown();          // then this member waits to help while the long shard runs
                return g;
            }));
            Future<GradientSum> large = TASKS.submit(() -> LoopTeam.work(key, () -> {
                try {
                    shortDone.await();
                } catch (InterruptedException ex) {
                    throw new IllegalStateException(ex);
                }
                return FewShotTrainer.shard(cfg, model, images, 5, params, 2, 32);
            }));
            GradientSum[] team = {small.get(120, TimeUnit.SECONDS), large.get(120, TimeUnit.SECONDS)};
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(alone[i].gradient(), team[i].gradient(), 0f, sequence + " shard " + i);
                assertEquals(alone[i].lossSum(), team[i].lossSum(), 0.0);
                assertEquals(alone[i].correct(), team[i].correct());
            }
        }
        assertTrue(LoopTeam.lentTotal() > lent0, "the short shard's task lent no chunk to the long one in 3 attempts");
    }
}
