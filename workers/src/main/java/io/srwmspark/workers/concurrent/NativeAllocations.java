package io.srwmspark.workers.concurrent;

import java.util.Locale;
import java.util.Optional;
import org.bytedeco.javacpp.Pointer;

/**
 * Whether ND4J's native allocations can run side by side on several threads.
 *
 * <p>Every ND4J op allocates a few native objects through JavaCPP ({@link Pointer}: shape buffers, op contexts,
 * pointer arrays). Unless {@value #PROPERTY} is 0, JavaCPP reads the process's resident size from
 * {@code /proc/self/statm} for each of them, inside one lock that all threads of the JVM share. With two or more
 * tasks running ND4J ops in one executor, the threads then queue on that lock, each waiting out the other's
 * system call: measured on the project's 2-core machine, two concurrent 64-episode passes made ~4,000 such reads
 * and ~2,500 futex calls per second, against none and ~190 with the check off (docs/distributed.md). The
 * project's JVM options ({@code srwm.jvm.opens} in the parent pom, {@code conf/spark-defaults.conf}) turn it
 * off; JavaCPP's tracked-bytes limit ({@code org.bytedeco.javacpp.maxBytes}) still applies, and on clusters the
 * container's memory limit bounds the process.
 */
public final class NativeAllocations {

    /** The JavaCPP system property read once, when {@link Pointer} is loaded. */
    public static final String PROPERTY = "org.bytedeco.javacpp.maxPhysicalBytes";

    private NativeAllocations() {
    }

    /** A warning for this JVM's log when JavaCPP checks the resident size on every allocation, else empty. */
    public static Optional<String> warning() {
        return warning(Pointer.maxPhysicalBytes());
    }

    /** The warning for a JVM whose JavaCPP {@code maxPhysicalBytes} is {@code maxPhysicalBytes}, else empty. */
    static Optional<String> warning(long maxPhysicalBytes) {
        if (maxPhysicalBytes <= 0) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "JavaCPP checks the resident memory against %s=%d on every"
                + " native allocation, under a lock all threads share: concurrent tasks in this JVM will wait on each"
                + " other's ND4J ops. Start the JVM with -D%s=0 (conf/spark-defaults.conf does).", PROPERTY,
                maxPhysicalBytes, PROPERTY));
    }
}
