package io.srwmspark.jobs;

import io.srwmspark.workers.bench.LayerBench;
import io.srwmspark.workers.srwm.SrwmKernels;
import io.srwmspark.workers.srwm.SrwmShape;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
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

    @Option(names = "--forks", defaultValue = "1", paramLabel = "N",
            description = {"fresh JVMs per row, so that one shape's JIT profile does not slow the next",
                "(the row reports the median of the forks' medians); 0 measures in this JVM (default: ${DEFAULT-VALUE})"})
    int forks;

    /** One printed row. */
    record Row(SrwmShape shape, String kernel, String dtype, double medianMs, double madMs, double minMs, int repeats,
            double positionsPerSecond, double gflops, long tapeBytes, long perStepWBytes) {

        String json() {
            return String.format(Locale.ROOT, "{\"shape\":[%d,%d,%d,%d],\"kernel\":\"%s\",\"dtype\":\"%s\","
                    + "\"median_ms\":%.3f,\"mad_ms\":%.3f,\"min_ms\":%.3f,\"repeats\":%d,"
                    + "\"positions_per_s\":%.1f,\"gflops\":%.3f,\"tape_bytes\":%d,\"per_step_w_bytes\":%d}",
                    shape.batch(), shape.heads(), shape.steps(), shape.headSize(), kernel, dtype, medianMs, madMs,
                    minMs, repeats, positionsPerSecond, gflops, tapeBytes, perStepWBytes);
        }

        String table() {
            return String.format(Locale.ROOT, "%-18s %-6s %10.2f %8.2f %12.0f %9.2f %9.1f %13.1f", shape.toString(),
                    kernel, medianMs, madMs, positionsPerSecond, gflops, tapeBytes / 1e6, perStepWBytes / 1e6);
        }

        static Row parse(String line) throws IOException {
            JsonNode n = new ObjectMapper().readTree(line);
            JsonNode sh = n.get("shape");
            return new Row(new SrwmShape(sh.get(0).asInt(), sh.get(1).asInt(), sh.get(2).asInt(), sh.get(3).asInt()),
                    n.get("kernel").asText(), n.get("dtype").asText(), n.get("median_ms").asDouble(),
                    n.get("mad_ms").asDouble(), n.get("min_ms").asDouble(), n.get("repeats").asInt(),
                    n.get("positions_per_s").asDouble(), n.get("gflops").asDouble(), n.get("tape_bytes").asLong(),
                    n.get("per_step_w_bytes").asLong());
        }
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        DataType type = switch (dtype) {
            case "float64" -> DataType.DOUBLE;
            case "float32" -> DataType.FLOAT;
            default -> throw new IllegalArgumentException("--dtype must be float64 or float32, got '" + dtype + "'");
        };
        if (forks < 0) {
            throw new IllegalArgumentException("--forks must be >= 0, got " + forks);
        }
        List<SrwmShape> todo = shapes.isEmpty() ? LayerBench.DEFAULT_SHAPES
                : shapes.stream().map(BenchLayerCommand::parseShape).toList();
        List<String> names = kernels.isEmpty() ? SrwmKernels.NAMES : kernels;
        names.forEach(SrwmKernels::byName);
        LayerBench.Settings settings = new LayerBench.Settings(warmup, seconds, repeats, Math.max(repeats, 500));
        PrintWriter out = spec.commandLine().getOut();
        if (!json) {
            out.printf("SRWM forward+backward, %s, %d threads, %s%n", dtype, Runtime.getRuntime().availableProcessors(),
                    forks == 0 ? "in this JVM" : forks + " fresh JVM(s) per row");
            out.printf("%-18s %-6s %10s %8s %12s %9s %9s %13s%n", "shape (B,H,T,E)", "kernel", "median ms",
                    "MAD ms", "positions/s", "GFLOP/s", "tape MB", "W-per-step MB");
            out.flush();
        }
        for (SrwmShape s : todo) {
            for (String k : names) {
                Row row = forks == 0 ? measure(s, k, type, settings) : forked(s, k);
                out.println(json ? row.json() : row.table());
                out.flush();
            }
        }
        return 0;
    }

    private Row measure(SrwmShape s, String k, DataType type, LayerBench.Settings settings) {
        LayerBench.Result r = LayerBench.run(SrwmKernels.byName(k), s, type, settings, 1234);
        return new Row(s, k, dtype, r.timing().medianMs(), r.timing().madMs(), r.timing().minMs(),
                r.timing().samplesMs().length, r.positionsPerSecond(), r.gflops(), r.tapeBytes(), r.perStepWBytes());
    }

    /** Runs the row in {@code forks} fresh JVMs with this JVM's options and class path. */
    private Row forked(SrwmShape s, String k) throws IOException, InterruptedException {
        List<Row> rows = new ArrayList<>();
        for (int f = 0; f < forks; f++) {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SrwmCli.class.getName(), "bench",
                    "layer", "--forks", "0", "--json", "--shape", s.batch() + "," + s.heads() + "," + s.steps() + ","
                    + s.headSize(), "--kernel", k, "--dtype", dtype, "--warmup", Double.toString(warmup), "--seconds",
                    Double.toString(seconds), "--repeats", Integer.toString(repeats)));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int code = p.waitFor();
            String line = text.lines().filter(l -> l.startsWith("{")).findFirst().orElse(null);
            if (code != 0 || line == null) {
                throw new IllegalStateException("forked bench of " + s + " " + k + " failed (exit " + code + "): "
                        + text);
            }
            rows.add(Row.parse(line));
        }
        rows.sort(Comparator.comparingDouble(Row::medianMs));
        return rows.get(rows.size() / 2);
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
