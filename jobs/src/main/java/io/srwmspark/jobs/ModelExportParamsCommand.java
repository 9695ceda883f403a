package io.srwmspark.jobs;

import io.srwmspark.workers.dl4j.FewShotGraph;
import io.srwmspark.workers.dl4j.GraphState;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotModel;
import io.srwmspark.workers.fewshot.FewShotSetup;
import io.srwmspark.workers.fewshot.ParamSet;
import io.srwmspark.workers.io.Npy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./srwm model export-params}: all trainable parameters as one flat float32 array. */
@Command(name = "export-params", mixinStandardHelpOptions = true,
        description = {"Writes every trainable parameter of a checkpoint as one flat float32 .npy array, in the",
            "model's parameter order (docs/fewshot.md), and FILE.layout.tsv beside it: name, shape, offset, length."})
final class ModelExportParamsCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "RUN_DIR_OR_FILE",
            description = "a run folder (its best checkpoint) or a checkpoint file, local or a Hadoop URI")
    String model;

    @Option(names = "--out", required = true, paramLabel = "FILE.npy", description = "output file")
    Path out;

    @Override
    public Integer call() throws IOException {
        Checkpoint c = RunFiles.read(model);
        INDArray flat = Nd4j.create(Nd4j.createBuffer(c.params()), new long[] {c.params().length});
        Npy.write(flat, out);
        StringBuilder tsv = new StringBuilder("name\tshape\toffset\tlength\n");
        try {
            FewShotConfig cfg = FewShotConfig.from(RunFiles.configOf(c, model));
            String shape = c.meta("input.shape");
            if (shape == null) {
                throw new IllegalArgumentException("the checkpoint does not record its input shape");
            }
            int[] chw = Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
            if (c.meta(GraphState.ITERATION) != null) {
                graphLayout(FewShotGraph.build(cfg, chw[0], chw[1], chw[2]), c.params(), tsv);
            } else {
                FewShotModel m = FewShotSetup.model(cfg, chw[0], chw[1], chw[2]);
                if (m.layout().size() == c.params().length) {
                    for (ParamSet.Entry e : m.layout().entries()) {
                        tsv.append(e.name()).append('\t').append(Arrays.toString(e.shape())).append('\t')
                                .append(e.offset()).append('\t').append(e.length()).append('\n');
                    }
                }
            }
        } catch (IllegalArgumentException ex) {
            tsv.append("# layout unavailable: ").append(ex.getMessage()).append('\n');
        }
        Path layout = out.resolveSibling(out.getFileName() + ".layout.tsv");
        Files.writeString(layout, tsv.toString(), StandardCharsets.UTF_8);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %d parameters (step %d) to %s and their layout to %s%n", c.params().length, c.step(), out,
                layout);
        w.flush();
        return 0;
    }

    /**
     * The layout of a dl4j-averaging checkpoint: DL4J's parameter table (vertices in topological order, each
     * layer's parameters in its initializer's order), checked against the flat vector.
     */
    private static void graphLayout(ComputationGraph graph, float[] params, StringBuilder tsv) {
        if (graph.numParams() != params.length) {
            throw new IllegalArgumentException("the checkpoint has " + params.length + " parameters, its DL4J graph "
                    + graph.numParams());
        }
        graph.setParams(Nd4j.createFromArray(params).reshape(1, params.length));
        long offset = 0;
        StringBuilder rows = new StringBuilder();
        for (Map.Entry<String, INDArray> e : graph.paramTable().entrySet()) {
            INDArray v = e.getValue();
            float[] at = Arrays.copyOfRange(params, (int) offset, (int) (offset + v.length()));
            String order;
            if (Arrays.equals(v.dup('c').data().asFloat(), at)) {
                order = "c";
            } else if (Arrays.equals(v.dup('f').data().asFloat(), at)) {
                order = "f";
            } else {
                throw new IllegalArgumentException("DL4J's parameter table does not follow the flat vector at "
                        + e.getKey());
            }
            rows.append(e.getKey()).append('\t').append(Arrays.toString(v.shape())).append(" order ").append(order)
                    .append('\t').append(offset)
                    .append('\t').append(v.length()).append('\n');
            offset += v.length();
        }
        if (offset != params.length) {
            throw new IllegalArgumentException("DL4J's parameter table covers " + offset + " of " + params.length
                    + " parameters");
        }
        tsv.append(rows);
    }
}
