package io.srwmspark.workers.bench;

import java.util.Arrays;

/**
 * Wall-clock samples of one measured operation, in milliseconds.
 *
 * @param samplesMs every timed repeat, in the order run
 */
public record Timing(double[] samplesMs) {

    public Timing {
        if (samplesMs.length == 0) {
            throw new IllegalArgumentException("a timing needs at least one sample");
        }
        samplesMs = samplesMs.clone();
    }

    public double medianMs() {
        double[] s = samplesMs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    public double minMs() {
        return Arrays.stream(samplesMs).min().orElseThrow();
    }

    /** Median absolute deviation from the median, a robust spread. */
    public double madMs() {
        double m = medianMs();
        double[] dev = Arrays.stream(samplesMs).map(v -> Math.abs(v - m)).toArray();
        return new Timing(dev).medianMs();
    }

    /**
     * Runs {@code op} untimed until {@code warmupSeconds} have passed (at least {@code minWarmup} times), then
     * timed {@code minRepeats} times and further until {@code measureSeconds} have passed, at most
     * {@code maxRepeats} times.
     */
    public static Timing measure(Runnable op, double warmupSeconds, int minWarmup, double measureSeconds,
            int minRepeats, int maxRepeats) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < minWarmup || System.nanoTime() < warmEnd; i++) {
            op.run();
        }
        double[] samples = new double[maxRepeats];
        long measureEnd = System.nanoTime() + (long) (measureSeconds * 1e9);
        int n = 0;
        while (n < maxRepeats && (n < minRepeats || System.nanoTime() < measureEnd)) {
            long t0 = System.nanoTime();
            op.run();
            samples[n++] = (System.nanoTime() - t0) / 1e6;
        }
        return new Timing(Arrays.copyOf(samples, n));
    }
}
