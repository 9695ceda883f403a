package io.srwmspark.jobs;

import io.srwmspark.workers.bench.PrecisionBench;
import io.srwmspark.workers.srwm.CpuSrwmKernel;
import io.srwmspark.workers.srwm.SrwmShape;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./srwm bench precision}: float32 error against float64 on long sequences. */
@Command(name = "precision", mixinStandardHelpOptions = true,
        description = {"Float32 error of the CPU kernel against its float64 run on the same random inputs,",
            "max|f32 - f64| / max|f64| per output, for checkpoint segments of several lengths",
            "(segment = T is a pure undo of the updates, like the paper's CUDA kernel)."})
final class BenchPrecisionCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--shape", defaultValue = "1,4,1000,16", paramLabel = "B,H,T,E",
            description = "shape (default: ${DEFAULT-VALUE})")
    String shape;

    @Option(names = "--segment", paramLabel = "S", split = ",",
            description = "checkpoint segment lengths (default: 16 and T)")
    List<Integer> segments = new ArrayList<>();

    @Option(names = "--seed", defaultValue = "7", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() {
        SrwmShape s = BenchLayerCommand.parseShape(shape);
        List<Integer> todo = segments.isEmpty() ? List.of(CpuSrwmKernel.DEFAULT_SEGMENT, s.steps()) : segments;
        PrintWriter out = spec.commandLine().getOut();
        out.printf("float32 vs float64, CPU kernel, shape %s, seed %d%n", s, seed);
        out.printf("%-8s %12s %12s %12s %12s%n", "segment", "y", "final_state", "dx", "dW0");
        CpuSrwmKernel f64 = new CpuSrwmKernel();
        for (int seg : todo) {
            CpuSrwmKernel f32 = new CpuSrwmKernel(CpuSrwmKernel.sharedPool(), seg);
            Map<String, Double> err = PrecisionBench.run(f32, f64, s, seed);
            out.println(String.format(Locale.ROOT, "%-8d %12.3e %12.3e %12.3e %12.3e", seg, err.get("y"),
                    err.get("final_state"), err.get("dx"), err.get("dW0")));
            out.flush();
        }
        return 0;
    }
}
