package io.srwmspark.jobs;

import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.data.ClassList;
import io.srwmspark.workers.data.ClassSplits;
import io.srwmspark.workers.data.DataStore;
import io.srwmspark.workers.data.Datasets;
import io.srwmspark.workers.data.ImageClass;
import io.srwmspark.workers.data.ImageSet;
import io.srwmspark.workers.data.LoadOptions;
import io.srwmspark.workers.data.Layout;
import io.srwmspark.workers.data.SplitOptions;
import io.srwmspark.workers.dl4j.GraphEvaluator;
import io.srwmspark.workers.dl4j.FewShotGraph;
import io.srwmspark.workers.dl4j.GraphFile;
import io.srwmspark.workers.dl4j.GraphState;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.fewshot.ClassImages;
import io.srwmspark.workers.fewshot.EpisodeSource;
import io.srwmspark.workers.fewshot.Episodes;
import io.srwmspark.workers.fewshot.EpisodeSpec;
import io.srwmspark.workers.fewshot.Evaluator;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotData;
import io.srwmspark.workers.fewshot.FewShotModel;
import io.srwmspark.workers.fewshot.FewShotSetup;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.fewshot.ImageSetClasses;
import io.srwmspark.workers.fewshot.TaskPair;
import io.srwmspark.workers.report.Accuracy;
import io.srwmspark.workers.rng.Seeds;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./srwm fewshot eval}: test accuracy of a trained model. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Scores a trained model on episodes of held-out classes: mean accuracy with a 95%% CI",
            "(1.96 s / sqrt(n)), and per-shot accuracy in the delayed-label setting. The data layout is detected",
            "and the model's own preprocessing applied."})
final class FewShotEvalCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "RUN_DIR_OR_FILE",
            description = {"a run folder (its best checkpoint, of either strategy) or a checkpoint file (.ckpt, or a",
                ".zip DL4J ComputationGraph of a dl4j-averaging run); checkpoints local or a Hadoop URI"})
    String model;

    @Option(names = "--batch-norm", defaultValue = "running", paramLabel = "MODE", description = {"DL4J graphs only:"
        + " running (DL4J's inference with the running statistics of training, the default) or episode",
        "(each episode normalized over its own images, as the exact model does)"})
    String batchNorm;

    @Option(names = "--data", paramLabel = "DIR", description = "dataset folder or URI (default: the model's own)")
    String data;

    @Option(names = "--second-data", paramLabel = "DIR", description = "the second dataset of a sequential"
            + " multi-task model (default: the model's own)")
    String secondData;

    @Option(names = "--split", defaultValue = "test", paramLabel = "NAME",
            description = "train, val, test or all (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--episodes", defaultValue = "2000", paramLabel = "N", description = "test episodes")
    int episodes;

    @Option(names = "--ways", paramLabel = "N", description = "N (default: the model's)")
    Integer ways;

    @Option(names = "--shots", paramLabel = "K", description = "K (default: the model's)")
    Integer shots;

    @Option(names = "--seed", paramLabel = "S", description = "episode seed (default: the run's test-episode seed,"
            + " so the default reproduces the test figure of `fewshot train`)")
    Long seed;

    @Option(names = "--baseline", paramLabel = "pixels", description = "also score the raw-pixel nearest-neighbour"
            + " baseline on the same episodes")
    String baseline;

    @Option(names = "--batch", paramLabel = "B", description = "episodes per forward pass (default: the run's"
            + " train.batch)")
    Integer batch;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (episodes < 1) {
            throw new IllegalArgumentException("--episodes must be >= 1, got " + episodes);
        }
        GraphEvaluator.BatchNorm bn = GraphEvaluator.BatchNorm.of(batchNorm);
        Path graphZip = RunFiles.graphModel(model);
        GraphFile graphFile = graphZip == null ? null : GraphFile.read(graphZip);
        Checkpoint ckpt = graphFile == null ? RunFiles.read(model) : null;
        FewShotConfig cfg = FewShotConfig.from(graphFile != null
                ? Conf.parse(graphFile.configText(), graphZip + " (config)") : RunFiles.configOf(ckpt, model));
        int n = ways == null ? cfg.episode().ways() : ways;
        int k = shots == null ? cfg.episode().shots() : shots;
        if (n != cfg.episode().ways()) {
            throw new IllegalArgumentException("--ways " + n + ": the model was built for " + cfg.episode().ways()
                    + "-way episodes (its output layer has " + cfg.episode().ways() + " classes)");
        }
        PrintWriter err = spec.commandLine().getErr();
        ImageSet set = load(cfg.data(), data, err);
        ClassImages classes = new ImageSetClasses(set);
        if (cfg.multiTask().enabled()) {
            classes = new TaskPair(classes, new ImageSetClasses(load(cfg.multiTask().data(), secondData, err)));
        } else if (secondData != null) {
            throw new IllegalArgumentException("--second-data: " + model + " is not a sequential multi-task model");
        }
        EpisodeSpec.LabelSetting setting = cfg.episode().setting();
        EpisodeSpec es = new EpisodeSpec(n, k, setting == EpisodeSpec.LabelSetting.SYNCHRONOUS ? 1 : 0, setting);
        long episodeSeed = seed != null ? seed
                : Seeds.derive(cfg.train().seed(), FewShotTrainer.STREAM_TEST_EPISODES);
        int perPass = batch != null ? batch : cfg.train().batch();
        if (perPass < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, got " + perPass);
        }
        EpisodeSource sampler = Episodes.source(cfg, classes, es, episodeSeed, n, perPass);
        ComputationGraph graph = graphFile != null ? graphFile.graph() : null;
        if (ckpt != null && ckpt.meta(GraphState.ITERATION) != null) {    // a dl4j-averaging checkpoint
            graph = FewShotGraph.build(cfg, set.channels(), set.height(), set.width());
            GraphState.restore(graph, ckpt);
        }
        Evaluator.Report r;
        if (graph != null) {
            r = GraphEvaluator.evaluate(graph, sampler, episodes, perPass, bn);
        } else {
            FewShotModel m = FewShotSetup.model(cfg, set.channels(), set.height(), set.width());
            if (ckpt.params().length != m.layout().size()) {
                throw new IllegalArgumentException(model + " has " + ckpt.params().length + " parameters; its "
                        + "configuration builds a model of " + m.layout().size());
            }
            INDArray params = Nd4j.create(Nd4j.createBuffer(ckpt.params()), new long[] {1, ckpt.params().length});
            r = Evaluator.evaluate(m, params, sampler, episodes, perPass);
        }
        Accuracy pixels = null;
        if (baseline != null) {
            if (!baseline.equals("pixels")) {
                throw new IllegalArgumentException("--baseline must be 'pixels', got '" + baseline + "'");
            }
            pixels = Evaluator.pixelNearestNeighbour(sampler, episodes, perPass);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            String px = pixels == null ? "" : String.format(Locale.ROOT, ",\"pixel_nn_accuracy\":%.6f,"
                    + "\"pixel_nn_ci95\":%.6f", pixels.mean(), pixels.ci95());
            String tasks = r.perTask().length < 2 ? "" : ",\"task_accuracy\":" + jsonArray(r.perTask())
                    + ",\"second_per_shot\":" + jsonArray(r.perShot()[1]);
            String bnJson = graph == null ? "" : ",\"batch_norm\":\"" + bn.name().toLowerCase(Locale.ROOT) + "\"";
            out.println(String.format(Locale.ROOT, "{\"accuracy\":%.6f,\"ci95\":%.6f,\"episodes\":%d,\"ways\":%d,"
                    + "\"shots\":%d,\"split\":\"%s\",\"loss\":%.6f,\"per_shot\":%s%s%s%s}", r.accuracy().mean(),
                    r.accuracy().ci95(), r.accuracy().episodes(), n, k, split, r.loss(), jsonArray(r.perShot()[0]),
                    tasks, px, bnJson));
        } else {
            out.printf(Locale.ROOT, "%d-way %d-shot, %s split (%d classes): accuracy %s%n", n, k, split,
                    classes.numClasses(), r.accuracy());
            for (int task = 0; task < r.perTask().length; task++) {
                if (r.perTask().length > 1) {
                    out.printf(Locale.ROOT, "  task %d (%s): %.2f%%%n", task + 1, task == 0 ? "data" : "multitask.data",
                            100 * r.perTask()[task]);
                }
                for (int i = 0; i < r.perShot()[task].length; i++) {
                    out.printf(Locale.ROOT, "  %soccurrence %d: %.2f%%%n", r.perTask().length > 1 ? "  " : "", i + 1,
                            100 * r.perShot()[task][i]);
                }
            }
            if (pixels != null) {
                out.printf(Locale.ROOT, "raw-pixel nearest neighbour on the same episodes: %s%n", pixels);
            }
        }
        out.flush();
        return 0;
    }

    /** {@code [v0,v1,...]} with six decimals. */
    static String jsonArray(double[] values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            b.append(i > 0 ? "," : "").append(String.format(Locale.ROOT, "%.6f", values[i]));
        }
        return b.append(']').toString();
    }

    /** The --split classes of one dataset: {@code override}, or the model's own {@code d}. */
    private ImageSet load(FewShotConfig.Data d, String override, PrintWriter err) throws IOException {
        String root = override != null ? override
                : FewShotData.resolveRoot(d, RunFiles.dataCache(), msg -> err.println(msg));
        Layout layout = override != null ? Datasets.detect(root) : FewShotData.layout(d.format(), root);
        SplitOptions opts = SplitOptions.defaults();
        if (override == null && !d.split().isEmpty()) {
            opts = opts.withSizes(FewShotData.parseSizes(d.split()));
        }
        ClassSplits splits = Datasets.read(DataStore.open(root), layout, opts);
        ClassList classes = switch (split) {
            case "train", "val", "test" -> splits.get(split);
            case "all" -> {
                List<ImageClass> all = new ArrayList<>(splits.train().classes());
                all.addAll(splits.val().classes());
                all.addAll(splits.test().classes());
                yield new ClassList("all", all);
            }
            default -> throw new IllegalArgumentException("--split must be train, val, test or all, got '" + split
                    + "'");
        };
        ImageSet set = Datasets.load(classes, root, FewShotData.preprocessing(layout, d.imageSize(), d.channels()),
                LoadOptions.defaults().withRotations(d.rotations()));
        err.println("srwm: " + set.report().summary());
        err.flush();
        return set;
    }
}
