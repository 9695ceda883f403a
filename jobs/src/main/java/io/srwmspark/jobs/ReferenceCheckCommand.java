package io.srwmspark.jobs;

import io.srwmspark.workers.io.Npy;
import io.srwmspark.workers.io.ReferenceCase;
import io.srwmspark.workers.io.ReferenceRunner;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./srwm reference-check}: computes a reference case's outputs with one of our kernels. */
@Command(name = "reference-check", mixinStandardHelpOptions = true,
        description = {"Computes every output a reference case lists (case.json 'outputs') and writes each as",
            "<name>.npy into --out. Where the case folder already holds an output, prints the relative",
            "error max|ours - theirs| / max|theirs| next to it. Format: docs/reference-check.md."})
final class ReferenceCheckCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--case", required = true, paramLabel = "DIR", description = "case folder with case.json")
    Path caseDir;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for the computed .npy files")
    Path out;

    @Option(names = "--kernel", defaultValue = "cpu", paramLabel = "NAME",
            description = "SRWM kernel: cpu or nd4j (default: ${DEFAULT-VALUE})")
    String kernel;

    @Option(names = "--dtype", defaultValue = "float64", paramLabel = "TYPE",
            description = "float64 or float32 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Override
    public Integer call() throws IOException {
        DataType type = switch (dtype) {
            case "float64" -> DataType.DOUBLE;
            case "float32" -> DataType.FLOAT;
            default -> throw new IllegalArgumentException("--dtype must be float64 or float32, got '" + dtype + "'");
        };
        if (!Files.isDirectory(caseDir)) {
            throw new IllegalArgumentException("--case " + caseDir + " is not a folder");
        }
        ReferenceCase c = ReferenceCase.load(caseDir);
        Map<String, INDArray> outputs = ReferenceRunner.run(c, SrwmKernels.byName(kernel), type);
        Files.createDirectories(out);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("case %s (kind %s, B=%d H=%d T=%d E=%d), kernel %s, %s%n", caseDir, c.kind(), c.batch(), c.heads(),
                c.steps(), c.headSize(), kernel, dtype);
        w.printf("%-12s %-18s %s%n", "output", "shape", "rel. error vs case");
        for (Map.Entry<String, INDArray> e : outputs.entrySet()) {
            Npy.write(e.getValue(), out.resolve(e.getKey() + ".npy"));
            String cmp = "-";
            if (Files.isRegularFile(caseDir.resolve(e.getKey() + ".npy"))) {
                INDArray ref = c.array(e.getKey(), DataType.DOUBLE);
                INDArray ours = e.getValue().castTo(DataType.DOUBLE);
                double scale = ref.amaxNumber().doubleValue();
                double diff = ours.sub(ref).amaxNumber().doubleValue();
                cmp = String.format("%.3e", scale == 0 ? diff : diff / scale);
            }
            w.printf("%-12s %-18s %s%n", e.getKey(), Arrays.toString(e.getValue().shape()), cmp);
        }
        w.printf("wrote %d arrays to %s%n", outputs.size(), out);
        w.flush();
        return 0;
    }
}
