package io.srwmspark.workers.cnn;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Opt-in wall-clock totals per named phase of a backbone's forward and backward (e.g. {@code fwd.block1.conv}),
 * for benchmarks. A backbone built with one adds to it on every call; thread-safe.
 */
public final class PhaseTimes {

    private final Map<String, Long> nanos = new LinkedHashMap<>();

    synchronized void add(String phase, long ns) {
        nanos.merge(phase, ns, Long::sum);
    }

    /** Adds the time since {@code t0} (a {@link System#nanoTime()}) to {@code phase}; returns now. */
    static long lap(PhaseTimes times, String phase, long t0) {
        long now = System.nanoTime();
        if (times != null) {
            times.add(phase, now - t0);
        }
        return now;
    }

    /** Totals in milliseconds, phases in first-seen order. */
    public synchronized Map<String, Double> millis() {
        Map<String, Double> out = new LinkedHashMap<>();
        nanos.forEach((k, v) -> out.put(k, v / 1e6));
        return out;
    }

    public synchronized void clear() {
        nanos.clear();
    }
}
