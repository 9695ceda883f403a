package io.srwmspark.workers.cnn;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * Runs the tasks 0..n-1 of one phase on a fork-join pool and waits for all of them. Tasks are chunks of images
 * fixed by the geometry, never by the thread count, and each writes its own outputs (or its own partial sums,
 * added afterwards in task order), so results are the same on any number of threads.
 */
final class Parallel {

    private Parallel() {
    }

    static void forEach(ForkJoinPool pool, int n, IntConsumer body) {
        if (n <= 1 || pool.getParallelism() == 1) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        pool.invoke(new Range(body, 0, n));
    }

    /** Splits [from, to) in halves down to single tasks. */
    private static final class Range extends RecursiveAction {
        private final transient IntConsumer body;
        private final int from;
        private final int to;

        Range(IntConsumer body, int from, int to) {
            this.body = body;
            this.from = from;
            this.to = to;
        }

        @Override
        protected void compute() {
            if (to - from == 1) {
                body.accept(from);
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Range(body, from, mid), new Range(body, mid, to));
        }
    }
}
