package io.srwmspark.jobs;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/** Whole-JVM counters {@code bench spark} reads around each timed step. */
final class JvmCounters {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private JvmCounters() {
    }

    /**
     * Bytes allocated on the heap so far by the JVM's live threads (a thread that ended takes its count with it,
     * so a difference over a step can come out low, never high: Spark's task threads are pooled and live on).
     */
    static long allocatedBytes() {
        long sum = 0;
        for (long b : THREADS.getThreadAllocatedBytes(THREADS.getAllThreadIds())) {
            sum += Math.max(0, b);                                   // -1: the thread ended meanwhile
        }
        return sum;
    }

    /** Milliseconds the JVM's collectors have spent so far (G1: its pauses). */
    static long collectionMillis() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }
}
