package io.srwmspark.jobs;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whole-process counters the benchmarks read around steps (warm-up, and each timed step of {@code bench spark}). */
final class JvmCounters {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    private JvmCounters() {
    }

    /** Milliseconds the JIT has compiled so far, or 0 where the JVM does not say. */
    static long compilationMillis() {
        return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : 0;
    }

    /** The process's minor page faults so far (Linux), or 0 where /proc is not there. */
    static long minorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"), StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[7]);                                  // field 10 of proc(5): minflt
        } catch (IOException | RuntimeException ex) {
            return 0;
        }
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
