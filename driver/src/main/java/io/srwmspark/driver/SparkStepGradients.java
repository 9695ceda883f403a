package io.srwmspark.driver;

import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.fewshot.GradientSum;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One synchronous data-parallel step on Spark (after MLlib's RDDLossFunction): the driver broadcasts the
 * parameters, each partition computes the gradient sum of its contiguous share of the step's B episodes
 * (episodes are a pure function of (seed, step, global index), so a retried task recomputes the same thing),
 * {@code treeAggregate} adds the shards, and the broadcast is destroyed. The optimizer never sees Spark.
 */
public final class SparkStepGradients implements FewShotTrainer.StepGradients {

    private final JavaSparkContext sc;
    private final String configText;
    private final int batch;
    private final int partitions;
    private final int size;
    private final String runName;
    private volatile FewShotTrainer.StepTiming last;

    /**
     * @param configText the run's effective configuration, with {@code data.path} resolved
     * @param batch      B, episodes per step
     * @param partitions shards per step (at most B)
     * @param size       number of parameters
     * @param runName    prefix of the Spark job descriptions
     */
    public SparkStepGradients(JavaSparkContext sc, String configText, int batch, int partitions, int size,
            String runName) {
        if (partitions < 1 || partitions > batch) {
            throw new IllegalArgumentException("partitions must be in [1, " + batch + "] (the batch), got " + partitions);
        }
        this.sc = sc;
        this.configText = configText;
        this.batch = batch;
        this.partitions = partitions;
        this.size = size;
        this.runName = runName;
    }

    /** [from, to) ranges of [0, batch) for each partition, as equal as possible. */
    static List<int[]> shards(int batch, int partitions) {
        List<int[]> out = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            out.add(new int[] {(int) ((long) batch * p / partitions), (int) ((long) batch * (p + 1) / partitions)});
        }
        return out;
    }

    @Override
    public GradientSum compute(long step, INDArray params) {
        long t0 = System.nanoTime();
        Broadcast<float[]> bc = sc.broadcast(params.data().asFloat());
        long shipped = System.nanoTime() - t0;
        String conf = configText;
        try {
            sc.setJobDescription(runName + " step " + step);
            return sc.parallelize(shards(batch, partitions), partitions)
                    .map(r -> {
                        GpuPinning.pinCurrentTask();
                        return ExecutorState.of(conf).shard(step, bc.value(), r[0], r[1]);
                    })
                    .treeAggregate(new GradientSum(size), GradientSum::merge, GradientSum::merge, 2);
        } finally {
            long t1 = System.nanoTime();
            bc.destroy();
            last = new FewShotTrainer.StepTiming(shipped + System.nanoTime() - t1);
        }
    }

    @Override
    public FewShotTrainer.StepTiming lastTiming() {
        return last;
    }
}
