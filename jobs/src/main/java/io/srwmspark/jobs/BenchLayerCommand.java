package io.srwmspark.jobs;

import io.srwmspark.workers.bench.LayerBench;
import io.srwmspark.workers.srwm.SrwmKernels;
import io.srwmspark.workers.srwm.SrwmShape;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./srwm bench layer}: SRWM forward+backward timings. */
@Command(name = "layer", mixinStandardHelpOptions = true,
        description = {"Times SRWM forward+backward on random inputs: warm-up, then repeats; prints the median.",
            "Columns: median ms, MAD ms, positions/s (B*T/s), GFLOP/s (20*B*H*T*E*(3E+4) flops),",
            "tape MB (memory the backward keeps), and what one W per step would take."})
final class BenchLayerCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--shape", paramLabel = "B,H,T,E",
            description = "shape to time (repeatable); default: 128,16,26,16 16,16,26,16 16,16,151,16 8,8,1000,16")
    List<String> shapes = new ArrayList<>();

    @Option(names = "--kernel", paramLabel = "NAME", split = ",",
            description = "kernel(s): cpu, nd4j (default: all)")
    List<String> kernels = new ArrayList<>();

    @Option(names = "--dtype", defaultValue = "float32", paramLabel = "TYPE",
            description = "float32 or float64 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "SECONDS", description = "warm-up seconds per row")
    double warmup;

    @Option(names = "--seconds", defaultValue = "6", paramLabel = "SECONDS",
            description = "timed seconds per row (at least --repeats runs)")
    double seconds;

    @Option(names = "--repeats", defaultValue = "7", paramLabel = "N", description = "timed runs per row at least")
    int repeats;

    @Option(names = "--json", description = "one JSON object per row instead of the table")
    boolean json;

    @Override
    public Integer call() {
        DataType type = switch (dtype) {
            case "float64" -> DataType.DOUBLE;
            case "float32" -> DataType.FLOAT;
            default -> throw new IllegalArgumentException("--dtype must be float64 or float32, got '" + dtype + "'");
        };
        List<SrwmShape> todo = shapes.isEmpty() ? LayerBench.DEFAULT_SHAPES
                : shapes.stream().map(BenchLayerCommand::parseShape).toList();
        List<String> names = kernels.isEmpty() ? SrwmKernels.NAMES : kernels;
        names.forEach(SrwmKernels::byName);
        LayerBench.Settings settings = new LayerBench.Settings(warmup, seconds, repeats, Math.max(repeats, 500));
        PrintWriter out = spec.commandLine().getOut();
        if (!json) {
            out.printf("SRWM forward+backward, %s, %d threads%n", dtype, Runtime.getRuntime().availableProcessors());
            out.printf("%-18s %-6s %10s %8s %12s %9s %9s %13s%n", "shape (B,H,T,E)", "kernel", "median ms",
                    "MAD ms", "positions/s", "GFLOP/s", "tape MB", "W-per-step MB");
            out.flush();
        }
        for (SrwmShape s : todo) {
            for (String k : names) {
                LayerBench.Result r = LayerBench.run(SrwmKernels.byName(k), s, type, settings, 1234);
                if (json) {
                    out.println(String.format(Locale.ROOT, "{\"shape\":[%d,%d,%d,%d],\"kernel\":\"%s\",\"dtype\":\"%s\","
                            + "\"median_ms\":%.3f,\"mad_ms\":%.3f,\"min_ms\":%.3f,\"repeats\":%d,"
                            + "\"positions_per_s\":%.1f,\"gflops\":%.3f,\"tape_bytes\":%d,\"per_step_w_bytes\":%d}",
                            s.batch(), s.heads(), s.steps(), s.headSize(), k, dtype, r.timing().medianMs(),
                            r.timing().madMs(), r.timing().minMs(), r.timing().samplesMs().length,
                            r.positionsPerSecond(), r.gflops(), r.tapeBytes(), r.perStepWBytes()));
                } else {
                    out.println(String.format(Locale.ROOT, "%-18s %-6s %10.2f %8.2f %12.0f %9.2f %9.1f %13.1f",
                            s.toString(), k, r.timing().medianMs(), r.timing().madMs(), r.positionsPerSecond(),
                            r.gflops(), r.tapeBytes() / 1e6, r.perStepWBytes() / 1e6));
                }
                out.flush();
            }
        }
        return 0;
    }

    static SrwmShape parseShape(String text) {
        String[] p = text.split(",");
        if (p.length != 4) {
            throw new IllegalArgumentException("--shape must be B,H,T,E (four integers), got '" + text + "'");
        }
        try {
            return new SrwmShape(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()),
                    Integer.parseInt(p[2].trim()), Integer.parseInt(p[3].trim()));
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("--shape must be B,H,T,E (four integers), got '" + text + "'", ex);
        }
    }
}
