package io.srwmspark.workers.concurrent;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * Runs tasks 0..n-1 on a fork-join pool and waits for all of them. What a task computes is fixed by its
 * index, never by the thread that runs it, and each task writes its own outputs (or its own partial sums,
 * added afterwards in task order), so results are the same on any number of threads, and whichever thread runs
 * a task: under {@link #inline} the loops run on the calling thread, and inside {@link LoopTeam#work} their tasks
 * are also open to the team's members whose own work is done.
 */
public final class Parallel {

    /** Work on the index range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final ThreadLocal<Boolean> INLINE = ThreadLocal.withInitial(() -> Boolean.FALSE);
    /** The team this thread's inline loops are open to, if any ({@link LoopTeam#work}). */
    private static final ThreadLocal<LoopTeam> TEAM = new ThreadLocal<>();
    /** At most this many chunks per loop open to a team: fine enough to share, few enough to claim cheaply. */
    private static final int MAX_TEAM_CHUNKS = 128;

    private Parallel() {
    }

    /**
     * Runs {@code work} with every loop it starts on this thread run inline, on this thread only: for a caller
     * that owns one core among several busy ones (a Spark task with {@code spark.task.cpus = 1} next to other
     * tasks), where handing work to a shared pool would only oversubscribe the cores. Results are unchanged:
     * they never depend on the number of threads.
     */
    public static <T> T inline(java.util.function.Supplier<T> work) {
        boolean was = INLINE.get();
        INLINE.set(Boolean.TRUE);
        try {
            return work.get();
        } finally {
            INLINE.set(was);
        }
    }

    /** As {@link #inline}, with the loops {@code work} starts open to {@code team} (see {@link LoopTeam}). */
    static <T> T inTeam(LoopTeam team, java.util.function.Supplier<T> work) {
        LoopTeam was = TEAM.get();
        TEAM.set(team);
        try {
            return inline(work);
        } finally {
            TEAM.set(was);
        }
    }

    /** Runs another member's chunks: inline, and outside any team, so that nested loops run on this thread. */
    static void asHelper(Runnable chunks) {
        inTeam(null, () -> {
            chunks.run();
            return null;
        });
    }

    /** One task per index. */
    public static void forEach(ForkJoinPool pool, int n, IntConsumer body) {
        forRanges(pool, n, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                body.accept(i);
            }
        });
    }

    /**
     * Ranges of about n / (8 threads) indices, so that each task can set up its scratch once for many
     * indices; small n or a one-thread pool runs inline.
     */
    public static void forRanges(ForkJoinPool pool, int n, RangeBody body) {
        forRanges(pool, n, Math.max(1, n / (pool.getParallelism() * 8)), body);
    }

    private static void forRanges(ForkJoinPool pool, int n, int grain, RangeBody body) {
        LoopTeam team = TEAM.get();
        if (team != null && n > 1) {
            team.share(n, Math.max(grain, (n + MAX_TEAM_CHUNKS - 1) / MAX_TEAM_CHUNKS), body);
            return;
        }
        if (n <= grain || pool.getParallelism() == 1 || INLINE.get()) {
            body.run(0, n);
            return;
        }
        pool.invoke(new Range(body, 0, n, grain));
    }

    /** Splits [from, to) in halves down to {@code grain} indices. */
    private static final class Range extends RecursiveAction {
        private final transient RangeBody body;
        private final int from;
        private final int to;
        private final int grain;

        Range(RangeBody body, int from, int to, int grain) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.grain = grain;
        }

        @Override
        protected void compute() {
            if (to - from <= grain) {
                body.run(from, to);
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Range(body, from, mid, grain), new Range(body, mid, to, grain));
        }
    }
}
