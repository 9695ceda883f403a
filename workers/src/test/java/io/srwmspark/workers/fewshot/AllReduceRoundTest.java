package io.srwmspark.workers.fewshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.store.RunStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Rounds of train.allreduce-steps without Spark: shards on threads of this JVM exchanging their sums through a
 * barrier take exactly the steps the driver takes when it adds the same shards in the same order.
 */
class AllReduceRoundTest {

    private static final int B = 4;
    private static final int[] CUTS = {0, 1, B};

    @TempDir
    Path tmp;

    private static FewShotConfig config(int steps, int allReduceSteps) {
        return FewShotConfig.from(Conf.parse(String.join("\n", "episode.ways = 3", "episode.queries = 2",
                "train.batch = " + B, "train.steps = " + steps, "train.val-every = 4", "train.val-episodes = 6",
                "model.width = 4", "model.heads = 2", "model.layers = 1",
                "train.allreduce-steps = " + allReduceSteps), "test"));
    }

    /** The model and images of {@link LocalRoundTest}, whose trainer helper this test shares. */
    private static final FewShotModel MODEL = LocalRoundTest.MODEL;
    private static final FakeImages DATA = LocalRoundTest.DATA;

    /** One step at a time, as the driver takes them: the shards' sums added in partition order. */
    private static FewShotTrainer.StepGradients driverSteps(FewShotConfig cfg) {
        return (step, params) -> {
            List<GradientSum> shards = new ArrayList<>();
            for (int i = 0; i + 1 < CUTS.length; i++) {
                shards.add(FewShotTrainer.shard(cfg, MODEL, DATA, step, params, CUTS[i], CUTS[i + 1]));
            }
            return GradientSum.sum(Math.toIntExact(MODEL.layout().size()), shards);
        };
    }

    /** An all-reduce among {@code n} threads of this JVM: each adds all sums in partition order. */
    private static final class ThreadExchange {
        private final GradientSum[] slots;
        private final CyclicBarrier barrier;

        ThreadExchange(int n) {
            slots = new GradientSum[n];
            barrier = new CyclicBarrier(n);
        }

        AllReduceRound.Exchange shard(int i) {
            return (step, own) -> {
                try {
                    slots[i] = own;
                    barrier.await();
                    List<GradientSum> all = List.of(slots.clone());
                    barrier.await();                 // nobody overwrites a slot before every shard has read them
                    return GradientSum.sum(Math.toIntExact(MODEL.layout().size()), all);
                } catch (InterruptedException | BrokenBarrierException ex) {
                    throw new IllegalStateException(ex);
                }
            };
        }
    }

    /** Rounds over the shards of {@link #CUTS}, each on its own thread. */
    private static FewShotTrainer.StepGradients threadRounds(FewShotConfig cfg, List<Integer> roundSizes) {
        return new FewShotTrainer.StepGradients() {
            @Override
            public GradientSum compute(long step, INDArray params) {
                throw new AssertionError("a run with all-reduce steps takes rounds only");
            }

            @Override
            public boolean roundsOverShards() {
                return true;
            }

            @Override
            public AllReduceRound allReduceRound(long step, int k, float[] params, Adam adam) {
                roundSizes.add(k);
                int n = CUTS.length - 1;
                ThreadExchange exchange = new ThreadExchange(n);
                ExecutorService pool = Executors.newFixedThreadPool(n);
                try {
                    List<Future<AllReduceRound>> parts = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        int shard = i;
                        parts.add(pool.submit(() -> AllReduceRound.run(cfg, MODEL, DATA, step, k, params,
                                adam.firstMoment(), adam.secondMoment(), adam.step(), CUTS[shard], CUTS[shard + 1],
                                exchange.shard(shard))));
                    }
                    List<AllReduceRound> out = new ArrayList<>();
                    for (Future<AllReduceRound> f : parts) {
                        out.add(out.isEmpty() ? f.get() : f.get().digestOnly());
                    }
                    return AllReduceRound.agreed(out);
                } catch (InterruptedException | ExecutionException ex) {
                    throw new IllegalStateException(ex);
                } finally {
                    pool.shutdownNow();
                }
            }
        };
    }

    private float[] train(String dir, FewShotConfig cfg, FewShotTrainer.StepGradients g) throws IOException {
        return LocalRoundTest.train(tmp.resolve(dir), cfg, g);
    }

    @Test
    void roundsEqualDriverStepsToTheBitAndEndWhereValidationFalls() throws IOException {
        float[] driver = train("driver", config(7, 1), driverSteps(config(7, 1)));
        List<Integer> rounds = new ArrayList<>();
        float[] allReduce = train("rounds", config(7, 3), threadRounds(config(7, 3), rounds));
        assertArrayEquals(driver, allReduce, "all-reduce rounds take the driver's steps");
        assertEquals(List.of(3, 1, 3), rounds, "rounds of 3 cut at the validation step 4 and at the end, 7");
        RunStore a = RunStore.open(tmp.resolve("driver").toString());
        RunStore b = RunStore.open(tmp.resolve("rounds").toString());
        for (String ckpt : List.of("step-000000000004.ckpt", "step-000000000007.ckpt")) {
            assertTrue(b.exists(ckpt), ckpt);
            Checkpoint x = new io.srwmspark.workers.store.CheckpointFiles(a, 3).read(ckpt);
            Checkpoint y = new io.srwmspark.workers.store.CheckpointFiles(b, 3).read(ckpt);
            assertArrayEquals(x.params(), y.params(), ckpt);
            assertArrayEquals(x.adamM(), y.adamM(), ckpt);
            assertArrayEquals(x.adamV(), y.adamV(), ckpt);
            assertEquals(x.step(), y.step());
        }
        assertFalse(b.list().contains("step-000000000003.ckpt"), "checkpoints fall where validation falls");
    }

    @Test
    void aRoundSerializesAndReplicasAreChecked() throws Exception {
        FewShotConfig cfg = config(10, 2);
        float[] p0 = MODEL.init(DataType.FLOAT, 5).data().asFloat();
        int size = p0.length;
        AllReduceRound whole = AllReduceRound.run(cfg, MODEL, DATA, 0, 2, p0, new float[size], new float[size], 0, 0,
                B, (step, own) -> own);
        assertEquals(2, whole.steps());
        assertTrue(whole.meanLoss() > 0 && whole.accuracy() >= 0 && whole.accuracy() <= 1);
        assertTrue(whole.computeNanos() > 0 && whole.exchangeNanos() >= 0);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(whole);
            out.writeObject(whole.digestOnly());
        }
        assertTrue(bytes.size() < 13L * size + 2048, "12 bytes per parameter: " + bytes.size());
        AllReduceRound back;
        AllReduceRound digest;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (AllReduceRound) in.readObject();
            digest = (AllReduceRound) in.readObject();
        }
        assertArrayEquals(whole.params(), back.params());
        assertArrayEquals(whole.firstMoment(), back.firstMoment());
        assertArrayEquals(whole.secondMoment(), back.secondMoment());
        assertEquals(whole.meanLoss(), back.meanLoss());
        assertArrayEquals(whole.params(), AllReduceRound.agreed(List.of(back, digest)).params());
        assertThrows(IllegalStateException.class, digest::params);

        // a replica that took another update is caught
        AllReduceRound other = AllReduceRound.run(cfg, MODEL, DATA, 1, 2, p0, new float[size], new float[size], 0, 0,
                B, (step, own) -> own);
        assertNotEquals(AllReduceRound.digest(whole.params()), AllReduceRound.digest(other.params()));
        IllegalStateException ex = assertThrows(IllegalStateException.class,
                () -> AllReduceRound.agreed(List.of(whole, other.digestOnly())));
        assertTrue(ex.getMessage().contains("replicas diverged: shard 1"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AllReduceRound.agreed(List.of(digest)));
    }

    @Test
    void badRoundsAndSettingsAreRefused() {
        FewShotConfig cfg = config(10, 2);
        float[] p0 = MODEL.init(DataType.FLOAT, 5).data().asFloat();
        int n = p0.length;
        AllReduceRound.Exchange self = (step, own) -> own;
        assertThrows(IllegalArgumentException.class,
                () -> AllReduceRound.run(cfg, MODEL, DATA, 0, 0, p0, new float[n], new float[n], 0, 0, B, self));
        assertThrows(IllegalArgumentException.class,
                () -> AllReduceRound.run(cfg, MODEL, DATA, 0, 1, p0, new float[n], new float[n], 0, 2, 2, self));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> config(10, 0));
        assertTrue(ex.getMessage().contains("train.allreduce-steps"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> FewShotConfig.from(Conf.parse(
                "train.allreduce-steps = 2\ntrain.local-steps = 2", "test")));
        assertTrue(ex.getMessage().contains("exclude each other"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> FewShotConfig.from(Conf.parse(
                "train.allreduce-steps = 2\ntrain.strategy = dl4j-averaging", "test")));
        assertTrue(ex.getMessage().contains("train.allreduce-steps"), ex.getMessage());
    }
}
