package io.srwmspark.workers.concurrent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Members of a {@link LoopTeam} lending each other their threads: who runs a chunk never changes a result. */
class LoopTeamTest {

    private static final ForkJoinPool POOL = new ForkJoinPool(2);
    private static final ExecutorService TASKS = Executors.newFixedThreadPool(2);

    @AfterAll
    static void shutDown() {
        POOL.shutdownNow();
        TASKS.shutdownNow();
    }

    @AfterEach
    void noTeamOutlivesItsMembers() {
        assertEquals(0, LoopTeam.liveTeams());
    }

    /** Runs {@code a} and {@code b} as members of one team on two threads; returns their results. */
    private static <A, B> Object[] pair(Object key, Supplier<A> a, Supplier<B> b) throws Exception {
        Future<A> fa = TASKS.submit(() -> LoopTeam.work(key, a));
        Future<B> fb = TASKS.submit(() -> LoopTeam.work(key, b));
        return new Object[] {fa.get(60, TimeUnit.SECONDS), fb.get(60, TimeUnit.SECONDS)};
    }

    /** Chunk i of a loop of n: out[i] = i^2 + 1, after a short sleep so that a helper has time to join. */
    private static double[] slowSquares(int n, Set<String> threads) {
        double[] out = new double[n];
        Parallel.forEach(POOL, n, i -> {
            threads.add(Thread.currentThread().getName());
            try {
                Thread.sleep(2);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            out[i] = (double) i * i + 1;
        });
        return out;
    }

    /** Waits for {@code latch} inside a member's work (which cannot throw checked exceptions). */
    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static double[] squares(int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = (double) i * i + 1;
        }
        return out;
    }

    @Test
    void aMemberWhoseWorkIsDoneRunsChunksOfOneStillWorking() throws Exception {
        Object key = new Object();
        CountDownLatch bothIn = new CountDownLatch(1);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        long lent0 = LoopTeam.lentTotal();
        Object[] r = pair(key, () -> {
            bothIn.countDown();
            return slowSquares(64, threads);
        }, () -> {
            await(bothIn);                 // both are members before this one's (empty) work ends
            return "done";
        });
        assertArrayEquals(squares(64), (double[]) r[0]);
        assertEquals("done", r[1]);
        assertTrue(LoopTeam.lentTotal() > lent0, "the idle member ran none of the 64 chunks");
        assertEquals(2, threads.size(), "chunks ran on " + threads);
    }

    /** A task's way: lend returns as soon as the work has, and a pooled helper thread helps in its place. */
    @Test
    void aLenderReturnsAtOnceAndAHelperThreadRunsChunksInItsPlace() throws Exception {
        Object key = new Object();
        CountDownLatch bothIn = new CountDownLatch(1);
        CountDownLatch lenderReturned = new CountDownLatch(1);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        long lent0 = LoopTeam.lentTotal();
        Future<double[]> worker = TASKS.submit(() -> LoopTeam.work(key, () -> {
            bothIn.countDown();
            await(lenderReturned);
            return slowSquares(64, threads);
        }));
        Future<String> lender = TASKS.submit(() -> {
            String r = LoopTeam.lend(key, () -> {
                await(bothIn);
                return "lent";
            });
            lenderReturned.countDown();             // returned while the other member has not even started
            return r;
        });
        assertEquals("lent", lender.get(60, TimeUnit.SECONDS));
        assertArrayEquals(squares(64), worker.get(60, TimeUnit.SECONDS));
        assertTrue(LoopTeam.lentTotal() > lent0, "no chunk was lent");
        assertTrue(threads.contains("srwm-loop-helper"), "chunks ran on " + threads);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (LoopTeam.liveTeams() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);                         // the helper leaves once nobody works
        }
    }

    @Test
    void aLenderWhoseWorkThrowsLeavesNoTeamBehind() {
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> LoopTeam.lend("failing", () -> {
            throw new IllegalStateException("shard failed");
        }));
        assertEquals("shard failed", ex.getMessage());
    }

    @Test
    void aLoneMemberRunsItsLoopsInlineOnItsThread() {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Object key = new Object();
        double[] out = LoopTeam.work(key, () -> slowSquares(8, threads));
        assertArrayEquals(squares(8), out);
        assertEquals(Set.of(Thread.currentThread().getName()), threads);
    }

    @Test
    void rangeLoopsAreSharedAndCoverEveryIndexOnce() throws Exception {
        Object key = new Object();
        CountDownLatch bothIn = new CountDownLatch(1);
        int n = 10_000;
        Object[] r = pair(key, () -> {
            bothIn.countDown();
            int[] hits = new int[n];
            for (int rep = 0; rep < 50; rep++) {
                Parallel.forRanges(POOL, n, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        hits[i]++;
                    }
                });
            }
            return hits;
        }, () -> {
            await(bothIn);
            return null;
        });
        int[] expected = new int[n];
        java.util.Arrays.fill(expected, 50);
        assertArrayEquals(expected, (int[]) r[0]);
    }

    @Test
    void aHelpedChunkThatLoopsAgainRunsThatLoopInline() throws Exception {
        Object key = new Object();
        CountDownLatch bothIn = new CountDownLatch(1);
        Object[] r = pair(key, () -> {
            bothIn.countDown();
            double[][] out = new double[32][];
            Parallel.forEach(POOL, 32, i -> out[i] = slowSquares(4 + i % 3, ConcurrentHashMap.newKeySet()));
            return out;
        }, () -> {
            await(bothIn);
            return null;
        });
        double[][] out = (double[][]) r[0];
        for (int i = 0; i < 32; i++) {
            assertArrayEquals(squares(4 + i % 3), out[i], "chunk " + i);
        }
    }

    @Test
    void aFailingChunkFailsItsOwnersWorkWhoeverRanIt() throws Exception {
        Object key = new Object();
        CountDownLatch bothIn = new CountDownLatch(1);
        Future<Object> owner = TASKS.submit(() -> LoopTeam.work(key, () -> {
            bothIn.countDown();
            Parallel.forEach(POOL, 40, i -> {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                if (i == 30) {
                    throw new IllegalStateException("chunk 30 failed");
                }
            });
            return null;
        }));
        Future<String> other = TASKS.submit(() -> LoopTeam.work(key, () -> {
            await(bothIn);
            return "fine";
        }));
        ExecutionException ex = assertThrows(ExecutionException.class, () -> owner.get(60, TimeUnit.SECONDS));
        assertEquals("chunk 30 failed", ex.getCause().getMessage());
        assertEquals("fine", other.get(60, TimeUnit.SECONDS));
    }

    @Test
    void membersOfDifferentKeysNeverShare() throws Exception {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        CountDownLatch bothIn = new CountDownLatch(1);
        Future<double[]> a = TASKS.submit(() -> LoopTeam.work("a", () -> {
            bothIn.countDown();
            return slowSquares(32, threads);
        }));
        Future<Object> b = TASKS.submit(() -> LoopTeam.work("b", () -> {
            await(bothIn);
            return null;
        }));
        assertArrayEquals(squares(32), a.get(60, TimeUnit.SECONDS));
        b.get(60, TimeUnit.SECONDS);
        assertEquals(1, threads.size(), "chunks ran on " + threads);
    }
}
