package io.srwmspark.workers.bench;

import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * How well the machine runs two compute-bound threads at once, right now: the time of one thread's chain of
 * vector fused multiply-adds divided by the time of two threads running the same chain each, side by side. About
 * 1 when two cores compute in parallel; about 0.5 when the two threads share one core's arithmetic units, as on
 * a virtual machine whose two vCPUs the host runs on SMT siblings of one core, or time-slices on one CPU. The
 * SRWM models' convolutions are bound by fused multiply-adds like this chain, so a data-parallel scaling
 * efficiency measured on such a host cannot exceed this figure by much; benchmarks report it beside theirs.
 */
public final class HostParallelism {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Calls and steps per call of the once-per-JVM warm-up: enough calls for C2 to compile the chain itself. */
    private static final int WARMUP_CALLS = 20_000;
    private static final int WARMUP_STEPS = 1_000;
    private static volatile boolean warm;

    private HostParallelism() {
    }

    /**
     * One reading: the median time of one thread's {@code iterations} steps of 4 independent FMA chains, divided by
     * the median time of two threads doing that side by side; three of each, alternating, after a warm-up run.
     * The first reading in a JVM first calls the chain many times in short runs, so that every timed run uses
     * the chain as C2 compiled it: a long run started in the interpreter or C1 (whose vector operations are
     * not intrinsics and allocate) switches to compiled code somewhere in its loop, at a point that differs
     * from run to run, which made single readings of a fresh JVM as wild as 20.
     *
     * @param two an executor with (at least) two threads
     */
    public static double efficiency(ExecutorService two, int iterations) throws InterruptedException {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
        }
        try {
            float sink = warm ? 0f : two.submit(HostParallelism::warmUp).get();
            sink += two.submit(() -> chain(iterations, 0.5f)).get();
            long[] solo = new long[3];
            long[] pair = new long[3];
            for (int r = 0; r < 3; r++) {
                long t0 = System.nanoTime();
                sink += two.submit(() -> chain(iterations, 1f)).get();
                long t1 = System.nanoTime();
                Future<Float> a = two.submit(() -> chain(iterations, 2f));
                Future<Float> b = two.submit(() -> chain(iterations, 3f));
                sink += a.get() + b.get();
                long t2 = System.nanoTime();
                solo[r] = t1 - t0;
                pair[r] = t2 - t1;
            }
            if (Float.isNaN(sink)) {
                throw new IllegalStateException("the FMA chain diverged");      // keeps the work observable
            }
            Arrays.sort(solo);
            Arrays.sort(pair);
            return solo[1] / (double) pair[1];
        } catch (ExecutionException ex) {
            throw new IllegalStateException("host parallelism probe failed", ex.getCause());
        }
    }

    private static float warmUp() {
        float sink = 0;
        for (int c = 0; c < WARMUP_CALLS; c++) {
            sink += chain(WARMUP_STEPS, 0.25f);
        }
        warm = true;
        return sink;
    }

    /** 4 independent chains x = x * 0.999 + seed * 0.001, which stay bounded; returns their sum. */
    static float chain(int iterations, float seed) {
        FloatVector m = FloatVector.broadcast(S, 0.999f);
        FloatVector c = FloatVector.broadcast(S, 0.001f * seed);
        FloatVector x0 = FloatVector.broadcast(S, seed);
        FloatVector x1 = x0.add(1f);
        FloatVector x2 = x0.add(2f);
        FloatVector x3 = x0.add(3f);
        for (int i = 0; i < iterations; i++) {
            x0 = x0.fma(m, c);
            x1 = x1.fma(m, c);
            x2 = x2.fma(m, c);
            x3 = x3.fma(m, c);
        }
        return x0.add(x1).add(x2).add(x3).reduceLanes(VectorOperators.ADD);
    }
}
