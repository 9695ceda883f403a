package io.srwmspark.workers.dl4j;

import io.srwmspark.workers.fewshot.Checkpoint;
import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.NoOpUpdater;

/**
 * The training state of a {@link FewShotGraph} as a project {@link Checkpoint}, so that a dl4j-averaging run
 * checkpoints, verifies and resumes like an exact one (same file format, names, retention, Hadoop URIs).
 *
 * <p>Mapping: {@code params} is the graph's flat parameter vector (DL4J's order: vertices in topological order,
 * each layer's parameters in its initializer's order; the batch-norm running mean and log10 standard deviation
 * included).
 * DL4J keeps Adam's state per updater block, a contiguous parameter range [start, end) whose state view is
 * [m (n) | v (n)], n = end - start ({@link AdamUpdater}); {@code adamM} and {@code adamV} put each block's m and
 * v at the block's parameter offsets, so adamM[i] and adamV[i] are the moments of parameter i. Parameters
 * without state (the batch-norm statistics, {@link NoOpUpdater}) have zeros there. The graph's iteration and
 * epoch counters (Adam's bias correction uses the iteration) go into the metadata as
 * {@value #ITERATION} and {@value #EPOCH}.
 */
public final class GraphState {

    /** Metadata key of the graph's iteration counter. */
    public static final String ITERATION = "dl4j.iteration";
    /** Metadata key of the graph's epoch counter. */
    public static final String EPOCH = "dl4j.epoch";

    private GraphState() {
    }

    /** The checkpoint of {@code graph} after {@code step} steps, with {@code meta} and the graph's counters. */
    public static Checkpoint checkpoint(ComputationGraph graph, long step, Map<String, String> meta) {
        int size = Math.toIntExact(graph.numParams());
        float[] params = graph.params().dup().data().asFloat();
        float[] m = new float[size];
        float[] v = new float[size];
        for (UpdaterBlock b : blocks(graph)) {
            int start = b.getParamOffsetStart();
            int n = b.getParamOffsetEnd() - start;
            if (hasAdamState(b, n)) {
                INDArray view = b.getUpdaterView();                                   // (1, 2 n)
                System.arraycopy(half(view, 0, n).toFloatVector(), 0, m, start, n);
                System.arraycopy(half(view, n, n).toFloatVector(), 0, v, start, n);
            }
        }
        Map<String, String> all = new HashMap<>(meta);
        all.put(ITERATION, Integer.toString(graph.getConfiguration().getIterationCount()));
        all.put(EPOCH, Integer.toString(graph.getConfiguration().getEpochCount()));
        return new Checkpoint(step, params, m, v, all);
    }

    /**
     * Puts the parameters, Adam moments and counters of {@code c} into {@code graph}, built by
     * {@link FewShotGraph#build} from the checkpoint's configuration.
     *
     * @throws IllegalArgumentException if the checkpoint does not fit the graph
     */
    public static void restore(ComputationGraph graph, Checkpoint c) {
        int size = Math.toIntExact(graph.numParams());
        if (c.params().length != size) {
            throw new IllegalArgumentException("checkpoint has " + c.params().length + " parameters; the DL4J graph "
                    + "of its configuration has " + size);
        }
        if (c.meta(ITERATION) == null) {
            throw new IllegalArgumentException("checkpoint of step " + c.step() + " carries no " + ITERATION
                    + ": it was not written by strategy dl4j-averaging");
        }
        graph.setParams(Nd4j.createFromArray(c.params()).reshape(1, size));
        for (UpdaterBlock b : blocks(graph)) {
            int start = b.getParamOffsetStart();
            int n = b.getParamOffsetEnd() - start;
            if (hasAdamState(b, n)) {
                INDArray view = b.getUpdaterView();
                half(view, 0, n).assign(slice(c.adamM(), start, n));
                half(view, n, n).assign(slice(c.adamV(), start, n));
            }
        }
        graph.getConfiguration().setIterationCount(Integer.parseInt(c.meta(ITERATION)));
        graph.getConfiguration().setEpochCount(Integer.parseInt(c.meta().getOrDefault(EPOCH, "0")));
    }

    private static Iterable<UpdaterBlock> blocks(ComputationGraph graph) {
        ComputationGraphUpdater u = graph.getUpdater(true);
        return u.getUpdaterBlocks();
    }

    /** True for an Adam block of n parameters; false for a block without state; anything else is refused. */
    private static boolean hasAdamState(UpdaterBlock b, int n) {
        GradientUpdater<?> g = b.getGradientUpdater();
        if (g instanceof AdamUpdater) {
            long len = b.getUpdaterView().length();
            if (len != 2L * n) {
                throw new IllegalStateException("Adam block of " + n + " parameters has a state view of " + len);
            }
            return true;
        }
        if (g instanceof NoOpUpdater) {
            return false;
        }
        throw new IllegalArgumentException("only Adam and NoOp updaters can be checkpointed, found "
                + g.getClass().getSimpleName());
    }

    /** A view of elements [from, from + n) of a state view, (2 n) or (1, 2 n). */
    private static INDArray half(INDArray view, long from, long n) {
        return view.rank() == 1 ? view.get(NDArrayIndex.interval(from, from + n))
                : view.get(NDArrayIndex.point(0), NDArrayIndex.interval(from, from + n));
    }

    private static INDArray slice(float[] a, int from, int n) {
        float[] out = new float[n];
        System.arraycopy(a, from, out, 0, n);
        return Nd4j.createFromArray(out);
    }
}
