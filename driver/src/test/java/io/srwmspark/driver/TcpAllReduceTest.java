package io.srwmspark.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.data.SyntheticGlyphs;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotData;
import io.srwmspark.workers.fewshot.FewShotModel;
import io.srwmspark.workers.fewshot.FewShotSetup;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.fewshot.GradientSum;
import io.srwmspark.workers.fewshot.ImageSetClasses;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The all-reduce reducer over real sockets, without Spark: the total each task gets back is the sum in partition
 * order, for gradient sums of a model of ~2 10^5 parameters (the demo model's size); strangers are refused; a retried attempt replaces the
 * connections of the failed one.
 */
class TcpAllReduceTest {

    @TempDir
    static Path tmp;

    static GradientSum[] sums;
    static int size;
    static ExecutorService pool;

    @BeforeAll
    static void shards() throws Exception {
        Path data = tmp.resolve("glyphs");
        new SyntheticGlyphs(3).write(data, 30, 6, 0.8, 2);
        FewShotConfig cfg = FewShotConfig.from(Conf.parse(String.join("\n", "data.path = " + data,
                "data.split = 18,6,6", "data.image-size = 16", "episode.queries = 2", "model.channels = 64",
                "model.width = 128", "model.heads = 8", "model.layers = 1", "train.batch = 3"), "test"));
        FewShotModel model = FewShotSetup.model(cfg, 1, 16, 16);
        size = Math.toIntExact(model.layout().size());
        ImageSetClasses train = new ImageSetClasses(FewShotData.load(cfg, tmp.resolve("cache"), msg -> { }).train());
        INDArray params = model.init(DataType.FLOAT, 3);
        sums = new GradientSum[3];
        for (int i = 0; i < 3; i++) {
            sums[i] = FewShotTrainer.shard(cfg, model, train, 0, params, i, i + 1);
        }
        pool = Executors.newFixedThreadPool(4);
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
    }

    /** Three tasks of attempt {@code attempt}, two steps each; returns each task's totals. */
    private static List<Future<List<GradientSum>>> tasks(TcpAllReduce.Endpoint e, int attempt) {
        List<Future<List<GradientSum>>> out = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            int partition = p;
            out.add(pool.submit(() -> {
                try (TcpAllReduce.Client c = new TcpAllReduce.Client(e, partition, attempt)) {
                    return List.of(c.allReduce(7, sums[partition]), c.allReduce(8, sums[(partition + 1) % 3]));
                }
            }));
        }
        return out;
    }

    @Test
    void everyTaskGetsTheSumInPartitionOrder() throws Exception {
        assertTrue(size > 150_000, "a model of " + size + " parameters");
        float[] step7 = GradientSum.sum(size, List.of(sums)).gradient();
        float[] step8 = GradientSum.sum(size, List.of(sums[1], sums[2], sums[0])).gradient();
        try (TcpAllReduce.Server server = new TcpAllReduce.Server("127.0.0.1", "127.0.0.1")) {
            for (int round = 0; round < 2; round++) {
                TcpAllReduce.Endpoint e = server.open(3, size);
                for (Future<List<GradientSum>> f : tasks(e, 0)) {
                    List<GradientSum> got = f.get(60, TimeUnit.SECONDS);
                    assertArrayEquals(step7, got.get(0).gradient());
                    assertArrayEquals(step8, got.get(1).gradient());
                    assertEquals(3, got.get(0).episodes());
                }
                server.closeRound();
            }
        }
    }

    @Test
    void strangersAreRefusedAndARetriedAttemptStartsOver() throws Exception {
        try (TcpAllReduce.Server server = new TcpAllReduce.Server("127.0.0.1", "127.0.0.1")) {
            TcpAllReduce.Endpoint e = server.open(3, size);
            TcpAllReduce.Endpoint wrong = new TcpAllReduce.Endpoint(e.host(), e.port(), e.token() + 1, 3, size);
            try (TcpAllReduce.Client stranger = new TcpAllReduce.Client(wrong, 0, 0)) {
                UncheckedIOException ex = assertThrows(UncheckedIOException.class, () -> stranger.allReduce(7, sums[0]));
                assertTrue(ex.getMessage().contains("all-reduce with the driver at 127.0.0.1:" + e.port()),
                        ex.getMessage());
            }
            // attempt 0: one task sends its sum, then the stage is retried before the others arrive
            Future<GradientSum> lost = pool.submit(() -> {
                try (TcpAllReduce.Client c = new TcpAllReduce.Client(e, 0, 0)) {
                    return c.allReduce(7, sums[0]);
                }
            });
            Thread.sleep(300);
            float[] step7 = GradientSum.sum(size, List.of(sums)).gradient();
            for (Future<List<GradientSum>> f : tasks(e, 1)) {
                assertArrayEquals(step7, f.get(60, TimeUnit.SECONDS).get(0).gradient());
            }
            java.util.concurrent.ExecutionException ex = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> lost.get(60, TimeUnit.SECONDS));
            assertTrue(ex.getCause() instanceof UncheckedIOException, ex.toString());
        }
    }

    @Test
    void anUnreachableReducerIsNamed() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        TcpAllReduce.Endpoint nowhere = new TcpAllReduce.Endpoint("127.0.0.1", port, 1, 1, size);
        UncheckedIOException ex = assertThrows(UncheckedIOException.class, () -> new TcpAllReduce.Client(nowhere, 0,
                0));
        assertTrue(ex.getMessage().contains("cannot reach the all-reduce reducer on the driver at 127.0.0.1:" + port),
                ex.getMessage());
    }
}
