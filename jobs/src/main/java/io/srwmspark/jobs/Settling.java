package io.srwmspark.jobs;

/**
 * Whether this JVM has reached a steady state for timing: the JIT no longer spends a noticeable share of the time
 * compiling and the process no longer touches new memory (page faults; on this project's VMs a first touch costs
 * ~25 us, so a heap or malloc arena still growing adds tens of ms per step). Fed one reading per step; settled
 * when the last {@code window} steps compiled for at most {@code maxCompileShare} of their wall time and faulted
 * at most {@code maxFaultsPerStep} pages per step.
 */
final class Settling {

    private final int window;
    private final double maxCompileShare;
    private final long maxFaultsPerStep;
    private final long[] wallNanos;
    private final long[] compileMs;
    private final long[] faults;
    private int readings;

    Settling(int window, double maxCompileShare, long maxFaultsPerStep) {
        if (window < 2) {
            throw new IllegalArgumentException("window must be >= 2 steps, got " + window);
        }
        this.window = window;
        this.maxCompileShare = maxCompileShare;
        this.maxFaultsPerStep = maxFaultsPerStep;
        this.wallNanos = new long[window];
        this.compileMs = new long[window];
        this.faults = new long[window];
    }

    /** Records the state after a step. */
    void step() {
        int i = readings % window;
        wallNanos[i] = System.nanoTime();
        compileMs[i] = JvmCounters.compilationMillis();
        faults[i] = JvmCounters.minorFaults();
        readings++;
    }

    /** True once a full window of steps shows neither compilation nor page-fault activity above the limits. */
    boolean settled() {
        if (readings < window) {
            return false;
        }
        int newest = (readings - 1) % window;
        int oldest = readings % window;
        double wallMs = (wallNanos[newest] - wallNanos[oldest]) / 1e6;
        long compiled = compileMs[newest] - compileMs[oldest];
        long faulted = faults[newest] - faults[oldest];
        return compiled <= maxCompileShare * wallMs && faulted <= maxFaultsPerStep * (window - 1L);
    }
}
