package io.srwmspark.workers.srwm;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reuse of the large Java arrays a CPU kernel call needs (tape, checkpoints, gradients): a training loop asks
 * for the same sizes every step, and fresh multi-megabyte arrays cost page faults and humongous-object
 * collections on every call. Arrays are held through soft references, so the collector can take them back
 * under memory pressure, and at most {@value #PER_SIZE} per length are kept. Also used by the CNN backbones
 * ({@code io.srwmspark.workers.cnn}). Thread-safe.
 */
public final class ArrayPool {

    private static final int PER_SIZE = 4;

    private final Map<Integer, ArrayDeque<SoftReference<float[]>>> floats = new HashMap<>();
    private final Map<Integer, ArrayDeque<SoftReference<double[]>>> doubles = new HashMap<>();

    /**
     * A float array of length n, zeroed when {@code zero}. Only the pool lookup holds the lock: allocating and
     * zeroing multi-megabyte arrays under it would serialize concurrent callers (shards of one executor).
     */
    public float[] takeFloat(int n, boolean zero) {
        float[] a;
        synchronized (this) {
            a = poll(floats, n);
        }
        if (a == null) {
            return new float[n];
        }
        if (zero) {
            Arrays.fill(a, 0f);
        }
        return a;
    }

    /** A double array of length n, zeroed when {@code zero} (the lock as in {@link #takeFloat}). */
    public double[] takeDouble(int n, boolean zero) {
        double[] a;
        synchronized (this) {
            a = poll(doubles, n);
        }
        if (a == null) {
            return new double[n];
        }
        if (zero) {
            Arrays.fill(a, 0d);
        }
        return a;
    }

    /** Gives an array back; the caller must not touch it afterwards. Null is ignored. */
    public synchronized void give(float[] a) {
        if (a != null) {
            offer(floats, a.length, a);
        }
    }

    public synchronized void give(double[] a) {
        if (a != null) {
            offer(doubles, a.length, a);
        }
    }

    private static <T> T poll(Map<Integer, ArrayDeque<SoftReference<T>>> pool, int n) {
        ArrayDeque<SoftReference<T>> q = pool.get(n);
        while (q != null && !q.isEmpty()) {
            T a = q.pollFirst().get();
            if (a != null) {
                return a;
            }
        }
        return null;
    }

    private static <T> void offer(Map<Integer, ArrayDeque<SoftReference<T>>> pool, int n, T a) {
        ArrayDeque<SoftReference<T>> q = pool.computeIfAbsent(n, k -> new ArrayDeque<>());
        if (q.size() < PER_SIZE) {
            q.addFirst(new SoftReference<>(a));
        }
    }
}
