package io.srwmspark.workers.concurrent;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One-core tasks of the same unit of work in one JVM (the shards of one training step in one Spark executor)
 * lending each other their cores: a member whose own work is done runs chunks of the parallel loops the members
 * still working have open, until none is working.
 *
 * <p>Why: a task with {@code spark.task.cpus = 1} runs its kernels inline, on its own thread
 * ({@link Parallel#inline}), so that concurrent tasks never oversubscribe the executor's cores. A synchronous
 * step then lasts as long as its slowest shard, and on a host whose cores run at different speeds (this project's
 * 2-core VM: one vCPU ~15% slower than the other in a pinned FMA loop, and at times much more) the faster core
 * idles for the difference. In a team, the member that finishes first takes chunks of the slower member's loops
 * instead (the conv backbones' per-chunk loops, the CPU kernels' range loops: ~3/4 of a few-shot pass), so the
 * step ends when the shared work is done, not when the slower core is.
 *
 * <p>Results are unchanged to the bit: {@link Parallel}'s loops fix what each chunk computes by its index, and
 * each chunk writes its own outputs or partial sums (added afterwards in chunk order), whichever thread runs it;
 * the loops already give the same bits on any number of pool threads. A member runs another's chunks with its
 * own loops inline and outside any team, so a chunk that loops again does not publish a loop of its own.
 *
 * <p>A member helps on its own thread ({@link #work}) or returns at once and leaves the helping to a pooled
 * thread ({@link #lend}: what a Spark task does, so that its result leaves without waiting). A team lives while
 * it has members, a member being in it until it stops helping; members of different keys never share.
 * A member whose work throws leaves without helping. A failure in a chunk a helper ran is rethrown by the loop's
 * owner. Waiting for a helper's last chunk ignores interrupts (a chunk is milliseconds; the owner's buffers must
 * not be reused while a helper writes them) and restores the interrupt status afterwards; a helper that is
 * interrupted while waiting for work stops helping.
 */
public final class LoopTeam {

    private static final ConcurrentHashMap<Object, LoopTeam> TEAMS = new ConcurrentHashMap<>();
    /**
     * Threads that help in the place of members that have returned ({@link #lend}): daemons, kept for 10 minutes
     * idle, so that steps seconds apart reuse them (and whatever per-thread scratch the kernels keep).
     */
    private static final ExecutorService HELPERS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.MINUTES,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "srwm-loop-helper");
                t.setDaemon(true);
                return t;
            });
    /** Chunks run for another member, by all teams of this JVM so far. */
    private static final AtomicLong LENT = new AtomicLong();

    /** Guarded by TEAMS' bin lock for the key (join and leave run in compute / computeIfPresent). */
    private int members;
    /** Members whose own work has not ended; guarded by this. */
    private int working;
    /** Loops with chunks nobody has claimed yet, oldest first; guarded by this. */
    private final ArrayDeque<Loop> open = new ArrayDeque<>();

    private LoopTeam() {
    }

    /**
     * Runs {@code work} as a member of the team of {@code key} (created on first use): its parallel loops are
     * open to the team, and when it returns, this thread helps the members still working until none is; then
     * returns the work's result. The caller's loops otherwise run as under {@link Parallel#inline}.
     */
    public static <T> T work(Object key, Supplier<T> work) {
        LoopTeam team = join(key);
        try {
            T result = team.run(work);
            team.help();
            return result;
        } finally {
            leave(key);
        }
    }

    /**
     * As {@link #work}, but returns as soon as {@code work} has: a pooled helper thread takes over the caller's
     * place in the team and helps the members still working. For a Spark task, whose result (or all-reduce sum)
     * then leaves at once, overlapping the slower tasks' compute, while its core goes on serving them: an
     * executor core is otherwise idle until the step's last task ends, as no task of the next step can start
     * before.
     */
    public static <T> T lend(Object key, Supplier<T> work) {
        LoopTeam team = join(key);
        boolean handedOver = false;
        try {
            T result = team.run(work);
            HELPERS.execute(() -> {
                try {
                    team.help();
                } finally {
                    leave(key);
                }
            });
            handedOver = true;
            return result;
        } finally {
            if (!handedOver) {
                leave(key);
            }
        }
    }

    private static LoopTeam join(Object key) {
        LoopTeam team = TEAMS.compute(key, (k, t) -> {
            LoopTeam joined = t == null ? new LoopTeam() : t;
            joined.members++;
            return joined;
        });
        synchronized (team) {
            team.working++;
        }
        return team;
    }

    private static void leave(Object key) {
        TEAMS.computeIfPresent(key, (k, t) -> --t.members == 0 ? null : t);
    }

    /** Runs {@code work} with its loops open to this team; the caller stops working when it returns or throws. */
    private <T> T run(Supplier<T> work) {
        try {
            return Parallel.inTeam(this, work);
        } finally {
            stopWorking();
        }
    }

    /** Chunks members of all teams in this JVM ran for other members so far (metrics: a difference over a step). */
    public static long lentTotal() {
        return LENT.get();
    }

    /** Teams alive in this JVM (members inside {@link #work}). */
    static int liveTeams() {
        return TEAMS.size();
    }

    private synchronized void stopWorking() {
        working--;
        notifyAll();
    }

    /**
     * Chunks [0, chunks) of {@code body}, each {@code grain} indices of [0, n): run by the caller and by
     * members that have finished their own work; returns when every chunk has run.
     */
    void share(int n, int grain, Parallel.RangeBody body) {
        Loop loop = new Loop(n, grain, body);
        synchronized (this) {
            open.addLast(loop);
            notifyAll();
        }
        loop.runChunks(false);
        synchronized (this) {
            open.remove(loop);
        }
        loop.awaitDone();
        loop.rethrow();
    }

    /** Runs open chunks of the members still working until none is working. */
    private void help() {
        while (true) {
            Loop loop;
            synchronized (this) {
                while ((loop = open.peekFirst()) == null) {
                    if (working == 0) {
                        return;
                    }
                    try {
                        wait();
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
            Loop l = loop;
            Parallel.asHelper(() -> l.runChunks(true));
            synchronized (this) {
                open.remove(l);
            }
        }
    }

    /** A parallel loop cut into chunks that any thread may claim, each once. */
    private static final class Loop {
        private final int n;
        private final int grain;
        private final int chunks;
        private final Parallel.RangeBody body;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Loop(int n, int grain, Parallel.RangeBody body) {
            this.n = n;
            this.grain = grain;
            this.chunks = (n + grain - 1) / grain;
            this.body = body;
        }

        /** Claims and runs chunks until none is left; counts them as lent when {@code helping}. */
        void runChunks(boolean helping) {
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                try {
                    int from = c * grain;
                    body.run(from, Math.min(n, from + grain));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (helping) {
                        LENT.incrementAndGet();
                    }
                    if (done.incrementAndGet() == chunks) {
                        synchronized (this) {
                            notifyAll();
                        }
                    }
                }
            }
        }

        /** Waits, ignoring interrupts, until every chunk has run (a helper may still be in its last one). */
        void awaitDone() {
            boolean interrupted = false;
            synchronized (this) {
                while (done.get() < chunks) {
                    try {
                        wait();
                    } catch (InterruptedException ex) {
                        interrupted = true;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        void rethrow() {
            Throwable t = failure.get();
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException("a parallel loop's chunk failed", t);
            }
        }
    }
}
