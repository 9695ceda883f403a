package io.srwmspark.driver;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pins ND4J to the GPU that Spark's resource scheduling gave the running task.
 *
 * <p>With {@code spark.executor.resource.gpu.amount} and {@code spark.task.resource.gpu.amount} set
 * (conf/spark-gpu.conf), every task carries the addresses of its GPUs in {@link TaskContext#resourcesJMap()}
 * under {@code "gpu"}; the discovery script (deploy/gpu/discover-gpus.sh) reports CUDA device indices, so an
 * address is the index ND4J knows the device by. ND4J's device affinity is per thread, and Spark runs a task
 * on a pool thread that may have served another task before, so the pinning is done at the start of every
 * task ({@link SparkStepGradients}). On the CPU backend there is nothing to pin: the assignment is reported
 * once per JVM, since it usually means the job jar was built without {@code -Pgpu}.
 */
public final class GpuPinning {

    /** Spark's resource name for GPUs. */
    public static final String RESOURCE = "gpu";

    private static final Logger LOG = LoggerFactory.getLogger(GpuPinning.class);
    private static final AtomicBoolean CPU_NOTICE_GIVEN = new AtomicBoolean();
    private static final Set<Integer> PIN_LOGGED = ConcurrentHashMap.newKeySet();

    private GpuPinning() {
    }

    /** What to do for one task. */
    public enum Action {
        /** No GPU was assigned: leave ND4J as it is. */
        NONE,
        /** Pin ND4J to {@link Decision#device()}. */
        PIN,
        /** A GPU was assigned, but ND4J runs on its CPU backend: say so, compute on the CPU. */
        CPU_BACKEND
    }

    /**
     * The decision for one task.
     *
     * @param action    what to do
     * @param addresses the GPU addresses Spark assigned, as it prints them (empty for {@link Action#NONE})
     * @param device    the CUDA device index to pin to ({@link Action#PIN}); -1 otherwise
     */
    public record Decision(Action action, List<String> addresses, int device) {

        /** Copies {@code addresses}, so the record stays immutable. */
        public Decision {
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * Decides what a task with GPU {@code addresses} does. A task given several GPUs
     * ({@code spark.task.resource.gpu.amount} &gt; 1) is pinned to the first: the SRWM kernels use one device.
     *
     * @param addresses   the task's GPU addresses; null or empty when Spark assigned none
     * @param cudaBackend whether ND4J runs on its CUDA backend
     * @param deviceCount CUDA devices ND4J sees (ignored on the CPU backend)
     * @throws IllegalArgumentException when an address is not a device index ND4J sees
     */
    public static Decision decide(String[] addresses, boolean cudaBackend, int deviceCount) {
        if (addresses == null || addresses.length == 0) {
            return new Decision(Action.NONE, List.of(), -1);
        }
        if (!cudaBackend) {
            return new Decision(Action.CPU_BACKEND, List.of(addresses), -1);
        }
        return new Decision(Action.PIN, List.of(addresses), deviceIndex(addresses[0], deviceCount));
    }

    /**
     * The CUDA device index of a Spark GPU address.
     *
     * @throws IllegalArgumentException when {@code address} is not a decimal index in [0, deviceCount)
     */
    static int deviceIndex(String address, int deviceCount) {
        String a = address == null ? "" : address.trim();
        int index;
        try {
            index = Integer.parseInt(a);
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("Spark assigned GPU address '" + address + "', which is not a device"
                    + " index: the discovery script must print CUDA device indices (nvidia-smi --query-gpu=index,"
                    + " as deploy/gpu/discover-gpus.sh does), not UUIDs or names", ex);
        }
        if (index < 0 || index >= deviceCount) {
            throw new IllegalArgumentException("Spark assigned GPU address " + index + " but ND4J sees "
                    + deviceCount + " CUDA device(s) (indices 0.." + (deviceCount - 1) + "): the discovery script"
                    + " and this JVM disagree about the devices (check CUDA_VISIBLE_DEVICES on the executors)");
        }
        return index;
    }

    /**
     * Applies the decision for the running Spark task: pins ND4J to the task's GPU on the CUDA backend, or
     * reports once per JVM that a GPU was assigned to a CPU-backend executor. Does nothing outside a task or
     * when the task has no GPU (ND4J is not touched then).
     */
    public static void pinCurrentTask() {
        TaskContext task = TaskContext.get();
        if (task == null) {
            return;
        }
        Map<String, ResourceInformation> resources = task.resourcesJMap();
        ResourceInformation gpu = resources == null ? null : resources.get(RESOURCE);
        if (gpu == null || gpu.addresses().length == 0) {
            return;
        }
        boolean cuda = !Nd4j.getEnvironment().isCPU();
        Decision d = decide(gpu.addresses(), cuda, cuda ? Nd4j.getAffinityManager().getNumberOfDevices() : 0);
        String what = "task " + task.taskAttemptId() + " (stage " + task.stageId() + ", partition "
                + task.partitionId() + ")";
        switch (d.action()) {
            case PIN -> {
                Nd4j.getAffinityManager().unsafeSetDevice(d.device());
                if (PIN_LOGGED.add(d.device())) {
                    LOG.info("Spark assigned GPU address {} to {}: ND4J pinned to CUDA device {}", d.addresses(),
                            what, d.device());
                }
            }
            case CPU_BACKEND -> {
                if (CPU_NOTICE_GIVEN.compareAndSet(false, true)) {
                    LOG.warn("Spark assigned GPU address {} to {}, but ND4J's CPU backend is in use: this executor"
                            + " computes on the CPU (build the job jar with -Pgpu for nd4j-cuda-11.6). Said once"
                            + " per JVM.", d.addresses(), what);
                }
            }
            case NONE -> {
            }
        }
    }
}
