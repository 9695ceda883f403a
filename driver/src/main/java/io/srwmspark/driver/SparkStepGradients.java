package io.srwmspark.driver;

import io.srwmspark.workers.fewshot.Adam;
import io.srwmspark.workers.fewshot.AllReduceRound;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import io.srwmspark.workers.fewshot.GradientSum;
import io.srwmspark.workers.fewshot.LocalRound;
import io.srwmspark.workers.io.FloatBytes;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.nd4j.linalg.api.ndarray.INDArray;
import scala.collection.Iterator;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * One synchronous data-parallel step on Spark (after MLlib's RDDLossFunction): the driver broadcasts the
 * parameters, each partition computes the gradient sum of its contiguous share of the step's B episodes
 * (episodes are a pure function of (seed, step, global index), so a retried task recomputes the same thing),
 * {@code treeAggregate} adds the shards, and the broadcast is destroyed. The optimizer never sees Spark.
 *
 * <p>With few partitions (at most 5 at depth {@value #TREE_DEPTH}, see {@link #treeAggregates}), Spark's
 * {@code treeAggregate} builds no tree: it runs one job and the driver folds the partitions' sums as they arrive.
 * That same job is submitted here directly ({@code SparkContext.runJob} with a named task function), for two
 * reasons: Spark's closure cleaner parses the bytecode of {@code RDD} and the Java API wrappers for every
 * Scala closure {@code treeAggregate} creates, ~8 ms of driver time per step measured on the demo; and the driver
 * adds the partitions' sums in partition order, not in order of arrival, so a run is reproducible to the bit for
 * a given partition count. From 6 partitions on, {@code treeAggregate} adds the sums on executors first and is
 * used as it is.
 *
 * <p>With {@code train.local-steps = K > 1} the trainer calls {@link #round} instead: one job per K steps, each
 * partition taking K local Adam steps, the driver averaging (not exact; docs/distributed.md). With
 * {@code train.allreduce-steps = K > 1} it calls {@link #allReduceRound}: one barrier job per K exact steps,
 * the shards' sums added by a reducer on the driver ({@link TcpAllReduce}); {@link #close} stops it.
 */
public final class SparkStepGradients implements FewShotTrainer.StepGradients, AutoCloseable {

    private final JavaSparkContext sc;
    private final String configText;
    private final int batch;
    private final int partitions;
    private final int size;
    private final String runName;
    private volatile FewShotTrainer.StepTiming last;

    /** The depth of the aggregation tree. */
    static final int TREE_DEPTH = 2;

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

    /**
     * Whether {@code treeAggregate} at depth {@value #TREE_DEPTH} adds partial sums on executors for this many
     * partitions (Spark's own test: a tree level is added while {@code n > scale + ceil(n / scale)}, with
     * {@code scale = max(ceil(n^(1/depth)), 2)}).
     */
    static boolean treeAggregates(int partitions) {
        int scale = Math.max((int) Math.ceil(Math.pow(partitions, 1.0 / TREE_DEPTH)), 2);
        return partitions > scale + (int) Math.ceil((double) partitions / scale);
    }

    @Override
    public GradientSum compute(long step, INDArray params) {
        return broadcasting(params.data().asFloat(), runName + " step " + step, bc -> {
            ShardTask task = new ShardTask(configText, step, bc);
            if (!treeAggregates(partitions)) {
                return oneJob(task);
            }
            return sc.parallelize(shards(batch, partitions), partitions)
                    .map(task::range)
                    .treeAggregate(new GradientSum(size), GradientSum::merge, GradientSum::merge, TREE_DEPTH);
        });
    }

    /**
     * Broadcasts {@code values}, runs {@code job} (described as {@code description} in the Spark UI), destroys
     * the broadcast and records the time spent shipping it (broadcast and destruction) in {@link #lastTiming}.
     */
    private <T> T broadcasting(float[] values, String description,
            java.util.function.Function<Broadcast<FloatBytes.Vector>, T> job) {
        long t0 = System.nanoTime();
        Broadcast<FloatBytes.Vector> bc = sc.broadcast(new FloatBytes.Vector(values));
        long shipped = System.nanoTime() - t0;
        try {
            sc.setJobDescription(description);
            return job.apply(bc);
        } finally {
            long t1 = System.nanoTime();
            bc.destroy();
            last = new FewShotTrainer.StepTiming(shipped + System.nanoTime() - t1);
        }
    }

    /** One job over the shards; the partitions' sums are added on the driver in partition order. */
    private GradientSum oneJob(ShardTask task) {
        return GradientSum.sum(size, perPartition(task, GradientSum.class));
    }

    /** One job over the shards; each partition's result, in partition order. */
    private <T> List<T> perPartition(AbstractFunction2<TaskContext, Iterator<int[]>, T> task, Class<T> type) {
        return perPartition(sc.parallelize(shards(batch, partitions), partitions).rdd(), task, type);
    }

    /** One job over {@code rdd}; each partition's result, in partition order. */
    private <S, T> List<T> perPartition(RDD<S> rdd, AbstractFunction2<TaskContext, Iterator<S>, T> task,
            Class<T> type) {
        List<T> byPartition = new ArrayList<>(java.util.Collections.nCopies(partitions, null));
        ClassTag<T> tag = ClassTag$.MODULE$.apply(type);
        sc.sc().runJob(rdd, task, new AbstractFunction2<Object, T, BoxedUnit>() {
            @Override
            public BoxedUnit apply(Object partition, T result) {
                byPartition.set((Integer) partition, result);
                return BoxedUnit.UNIT;
            }
        }, tag);
        return byPartition;
    }

    @Override
    public boolean roundsOverShards() {
        return true;
    }

    /**
     * A round of {@code train.local-steps} (docs/distributed.md): the parameters and both Adam moments are
     * broadcast as one vector [p | m | v], each partition takes {@code k} local Adam steps on its shard
     * ({@link LocalRound#run}) and returns its three vectors, and the driver averages them in partition order.
     * One job per round, whatever the partition count (each result is 12 bytes per parameter).
     */
    @Override
    public LocalRound round(long step, int k, float[] params, Adam adam) {
        return broadcasting(pack(params, adam), runName + " steps " + step + ".." + (step + k - 1),
                bc -> LocalRound.average(perPartition(new RoundTask(configText, step, k, adam.step(), bc),
                        LocalRound.class)));
    }

    /** [parameters | Adam m | Adam v]. */
    private float[] pack(float[] params, Adam adam) {
        float[] pmv = new float[3 * size];
        System.arraycopy(params, 0, pmv, 0, size);
        System.arraycopy(adam.firstMoment(), 0, pmv, size, size);
        System.arraycopy(adam.secondMoment(), 0, pmv, 2 * size, size);
        return pmv;
    }

    /**
     * A round of {@code train.allreduce-steps} (docs/distributed.md): [p | m | v] is broadcast once, the partitions
     * run as one barrier stage (all at once, or none) and take {@code k} exact steps; at each step they send their
     * gradient sums to a reducer on the driver ({@link TcpAllReduce}), which adds them in partition order and sends
     * the total back, and every partition applies the same Adam update ({@link AllReduceRound}). Partition 0 returns
     * the state, the others a digest of theirs, which must agree with it. Spark's job, broadcast and task launch
     * are paid once per round.
     */
    @Override
    public AllReduceRound allReduceRound(long step, int k, float[] params, Adam adam) {
        TcpAllReduce.Server server = reducer();
        TcpAllReduce.Endpoint endpoint = server.open(partitions, size);
        try {
            return broadcasting(pack(params, adam), runName + " steps " + step + ".." + (step + k - 1)
                    + " (all-reduce)", bc -> {
                        RDD<AllReduceRound> rounds = sc.parallelize(shards(batch, partitions), partitions).rdd()
                                .barrier().mapPartitions(new AllReduceTask(configText, step, k, adam.step(), endpoint,
                                        bc), false, ClassTag$.MODULE$.apply(AllReduceRound.class));
                        return AllReduceRound.agreed(perPartition(rounds, new OnlyElement<>(),
                                AllReduceRound.class));
                    });
        } finally {
            server.closeRound();
        }
    }

    private TcpAllReduce.Server reducer;

    /**
     * The driver's all-reduce reducer, started on first use, after checking that the partitions fit: a barrier
     * stage runs all its tasks at once, and on a local master with fewer task slots than partitions Spark would
     * retry its own check for minutes before failing.
     */
    private TcpAllReduce.Server reducer() {
        if (reducer != null) {
            return reducer;
        }
        org.apache.spark.SparkContext ssc = sc.sc();
        int slots = ssc.maxNumConcurrentTasks(ssc.resourceProfileManager().defaultResourceProfile());
        if (ssc.isLocal() && slots < partitions) {
            throw new IllegalArgumentException("train.allreduce-steps runs the " + partitions + " partitions of a "
                    + "step at once (a Spark barrier stage), but " + ssc.master() + " has " + slots + " task slots: "
                    + "use --partitions <= " + slots + " or more local threads");
        }
        String host = ssc.conf().get("spark.driver.host");
        try {
            reducer = new TcpAllReduce.Server(ssc.conf().get("spark.driver.bindAddress", host), host);
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException("cannot start the all-reduce reducer on " + host + ": "
                    + ex.getMessage(), ex);
        }
        return reducer;
    }

    /** Stops the all-reduce reducer, if a round started it. */
    @Override
    public void close() {
        if (reducer != null) {
            reducer.close();
            reducer = null;
        }
    }

    /** Returns a partition's only element. */
    static final class OnlyElement<T> extends AbstractFunction2<TaskContext, Iterator<T>, T> implements Serializable {

        private static final long serialVersionUID = 1L;

        @Override
        public T apply(TaskContext context, Iterator<T> it) {
            if (!it.hasNext()) {
                throw new IllegalStateException("partition " + context.partitionId() + " returned nothing");
            }
            T only = it.next();
            if (it.hasNext()) {
                throw new IllegalStateException("partition " + context.partitionId() + " returned several results");
            }
            return only;
        }
    }

    /**
     * What a task of an all-reduce round runs: {@link AllReduceRound#run} on its partition's episode range, with
     * the driver's reducer as the exchange.
     */
    static final class AllReduceTask extends AbstractFunction1<Iterator<int[]>, Iterator<AllReduceRound>>
            implements Serializable {

        private static final long serialVersionUID = 1L;

        private final String conf;
        private final long step;
        private final int k;
        private final long adamStep;
        private final TcpAllReduce.Endpoint reducer;
        private final Broadcast<FloatBytes.Vector> state;

        AllReduceTask(String conf, long step, int k, long adamStep, TcpAllReduce.Endpoint reducer,
                Broadcast<FloatBytes.Vector> state) {
            this.conf = conf;
            this.step = step;
            this.k = k;
            this.adamStep = adamStep;
            this.reducer = reducer;
            this.state = state;
        }

        @Override
        public Iterator<AllReduceRound> apply(Iterator<int[]> ranges) {
            BarrierTaskContext context = BarrierTaskContext.get();
            int[] r = onlyRange(context.partitionId(), step, ranges);
            GpuPinning.pinCurrentTask();
            ExecutorState executor = ExecutorState.of(conf);
            float[] pmv = state.value().values();
            AllReduceRound round;
            try (TcpAllReduce.Client exchange = new TcpAllReduce.Client(reducer, context.partitionId(),
                    context.stageAttemptNumber())) {
                round = executor.allReduceRound(step, k, pmv, adamStep, r[0], r[1], exchange);
            }
            return scala.collection.Iterator$.MODULE$.single(context.partitionId() == 0 ? round : round.digestOnly());
        }
    }

    /** The one episode range partition {@code partition} of the round from {@code step} holds. */
    static int[] onlyRange(int partition, long step, Iterator<int[]> ranges) {
        if (!ranges.hasNext()) {
            throw new IllegalStateException("partition " + partition + " of round " + step + " holds no episode range");
        }
        int[] r = ranges.next();
        if (ranges.hasNext()) {
            throw new IllegalStateException("partition " + partition + " holds several ranges");
        }
        return r;
    }

    /** What a task of a local-steps round runs: {@link LocalRound#run} on its partition's episode range. */
    static final class RoundTask extends AbstractFunction2<TaskContext, Iterator<int[]>, LocalRound>
            implements Serializable {

        private static final long serialVersionUID = 1L;

        private final String conf;
        private final long step;
        private final int k;
        private final long adamStep;
        private final Broadcast<FloatBytes.Vector> state;

        RoundTask(String conf, long step, int k, long adamStep, Broadcast<FloatBytes.Vector> state) {
            this.conf = conf;
            this.step = step;
            this.k = k;
            this.adamStep = adamStep;
            this.state = state;
        }

        @Override
        public LocalRound apply(TaskContext context, Iterator<int[]> ranges) {
            int[] r = onlyRange(context.partitionId(), step, ranges);
            GpuPinning.pinCurrentTask();
            return ExecutorState.of(conf).round(step, k, state.value().values(), adamStep, r[0], r[1]);
        }
    }

    /**
     * What a task runs: the gradient sum of its partition's episode range. A named class rather than a lambda:
     * Spark's closure cleaner returns at once for a function that is not a closure, where for a Scala closure
     * it reads and parses the bytecode of the class that created it.
     */
    static final class ShardTask extends AbstractFunction2<TaskContext, Iterator<int[]>, GradientSum>
            implements Serializable {

        private static final long serialVersionUID = 1L;

        private final String conf;
        private final long step;
        private final Broadcast<FloatBytes.Vector> params;

        ShardTask(String conf, long step, Broadcast<FloatBytes.Vector> params) {
            this.conf = conf;
            this.step = step;
            this.params = params;
        }

        /** The gradient sum of episodes [r[0], r[1]) of the step, on the GPU Spark gave the task if any. */
        GradientSum range(int[] r) {
            GpuPinning.pinCurrentTask();
            return ExecutorState.of(conf).shard(step, params.value().values(), r[0], r[1]);
        }

        @Override
        public GradientSum apply(TaskContext context, Iterator<int[]> ranges) {
            GradientSum sum = null;
            while (ranges.hasNext()) {
                GradientSum g = range(ranges.next());
                sum = sum == null ? g : sum.merge(g);
            }
            if (sum == null) {
                throw new IllegalStateException("partition " + context.partitionId() + " of step " + step
                        + " holds no episode range");
            }
            return sum;
        }
    }

    @Override
    public FewShotTrainer.StepTiming lastTiming() {
        return last;
    }
}
