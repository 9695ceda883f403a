package io.srwmspark.workers.srwm;

/**
 * What a kernel keeps between forward and backward: per-step vectors and fast-weight checkpoints, never one
 * matrix per step. Opaque to callers; only the kernel that wrote a tape can read it.
 */
public interface SrwmTape {

    /** Bytes held by this tape (per-step vectors plus checkpoints), for memory reports. */
    long bytes();

    /**
     * Hands the tape's memory back to its kernel for reuse by later calls. Optional (an unreleased tape is
     * simply collected); after it, a backward with this tape fails with {@link IllegalStateException}.
     */
    default void release() {
    }
}
