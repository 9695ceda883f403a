package io.srwmspark.workers.srwm;

import java.util.List;

/** The SRWM kernels by the names the command line and configurations use. */
public final class SrwmKernels {

    /** Names accepted by {@link #byName}. */
    public static final List<String> NAMES = List.of("cpu", "nd4j");

    private SrwmKernels() {
    }

    /**
     * A kernel with default settings: {@code cpu} (Java loops, all cores) or {@code nd4j} (batched ND4J ops, any
     * backend including CUDA).
     */
    public static SrwmKernel byName(String name) {
        return switch (name) {
            case "cpu" -> new CpuSrwmKernel();
            case "nd4j" -> new Nd4jSrwmKernel();
            default -> throw new IllegalArgumentException("unknown SRWM kernel '" + name + "', expected one of "
                    + NAMES);
        };
    }
}
