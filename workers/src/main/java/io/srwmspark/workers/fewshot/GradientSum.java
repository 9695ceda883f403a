package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.io.FloatBytes;
import java.io.IOException;
import java.io.ObjectStreamField;
import java.io.Serializable;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The per-shard part of one synchronous data-parallel step, as an aggregator (after Spark MLlib's loss
 * aggregators): {@link #add} accumulates the gradient of the global mean loss over a range of global episodes,
 * {@link #merge} adds another shard's sums. The gradient is already divided by the global number of scored
 * steps, so the merged sum over all shards is exactly the gradient the single-machine trainer takes.
 *
 * <pre>
 *   g = (1 / n) sum_{episodes e of the step} sum_{scored t of e} dCE(e, t) / d theta      n = B x scored per episode
 * </pre>
 */
public final class GradientSum implements Serializable {

    private static final long serialVersionUID = 2L;
    /** Java serialization writes these fields by default and the gradient through {@link FloatBytes}. */
    private static final ObjectStreamField[] serialPersistentFields = {
        new ObjectStreamField("size", int.class), new ObjectStreamField("lossSum", double.class),
        new ObjectStreamField("auxLossSum", double.class), new ObjectStreamField("correct", long.class),
        new ObjectStreamField("scored", long.class), new ObjectStreamField("episodes", long.class),
        new ObjectStreamField("computeNanos", long.class), new ObjectStreamField("maxShardNanos", long.class)};

    private final int size;
    /** The summed gradient; null until something is added, so an empty aggregator (Spark's zero value, shipped
     * with every task) serializes to a few bytes. */
    private float[] grad;
    private double lossSum;
    private double auxLossSum;
    private long correct;
    private long scored;
    private long episodes;
    private long computeNanos;
    private long maxShardNanos;

    /** An empty aggregator for {@code size} parameters: the identity of {@link #merge}. */
    public GradientSum(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("parameter count must be >= 0, got " + size);
        }
        this.size = size;
    }

    /**
     * Adds episodes {@code first .. first + count - 1} of {@code sampler}.
     *
     * @param normalizer the global number of scored steps of the step
     * @param seed       the step's seed
     */
    public GradientSum add(FewShotModel model, INDArray params, EpisodeSource sampler, long first, int count,
            double normalizer, long seed) {
        if (count == 0) {
            return this;
        }
        long t0 = System.nanoTime();
        EpisodeBatch batch = sampler.batch(first, count);
        INDArray g = model.layout().zeros(DataType.FLOAT);
        FewShotModel.Result r = model.run(params, batch, normalizer, seed, g);
        float[] shard = g.data().asFloat();
        if (shard.length != size) {
            throw new IllegalArgumentException("model has " + shard.length + " parameters, aggregator " + size);
        }
        if (grad == null) {
            grad = shard;
        } else {
            for (int i = 0; i < size; i++) {
                grad[i] += shard[i];
            }
        }
        lossSum += r.lossSum();
        auxLossSum += r.auxLossSum();
        correct += r.correct();
        scored += r.scored();
        episodes += count;
        long took = System.nanoTime() - t0;
        computeNanos += took;
        maxShardNanos = Math.max(maxShardNanos, took);
        return this;
    }

    /**
     * The sum of {@code sums} added in the order given (a fixed order gives the same bits every time): what the
     * driver makes of a step's partition results, and what an all-reduce hands back.
     */
    public static GradientSum sum(int size, java.util.List<GradientSum> sums) {
        GradientSum total = new GradientSum(size);
        for (GradientSum g : sums) {
            total.merge(g);
        }
        return total;
    }

    /** Adds {@code other} into this aggregator and returns this. */
    public GradientSum merge(GradientSum other) {
        if (other.size != size) {
            throw new IllegalArgumentException("cannot merge aggregators of " + size + " and " + other.size
                    + " parameters");
        }
        if (other.episodes == 0) {
            return this;
        }
        if (grad == null) {
            grad = other.grad.clone();
        } else {
            for (int i = 0; i < size; i++) {
                grad[i] += other.grad[i];
            }
        }
        lossSum += other.lossSum;
        auxLossSum += other.auxLossSum;
        correct += other.correct;
        scored += other.scored;
        episodes += other.episodes;
        computeNanos += other.computeNanos;
        maxShardNanos = Math.max(maxShardNanos, other.maxShardNanos);
        return this;
    }

    private void writeObject(java.io.ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        FloatBytes.write(out, grad);
    }

    private void readObject(java.io.ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        grad = FloatBytes.read(in, "gradient sum");
        if (grad != null && grad.length != size || grad == null && episodes != 0 || size < 0) {
            throw new java.io.InvalidObjectException("gradient sum of " + size + " parameters and " + episodes
                    + " episodes carries " + (grad == null ? "no gradient" : grad.length + " values"));
        }
    }

    /** Time spent computing the shards, summed (their total work). */
    public long computeNanos() {
        return computeNanos;
    }

    /** The slowest shard's compute time: the part of a step no parallelism can hide. */
    public long maxShardNanos() {
        return maxShardNanos;
    }

    /** Number of parameters. */
    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return episodes == 0;
    }

    /** The summed gradient (a copy). */
    public float[] gradient() {
        return grad == null ? new float[size] : grad.clone();
    }

    public long episodes() {
        return episodes;
    }

    public long scored() {
        return scored;
    }

    /** Scored steps predicted right. */
    public long correct() {
        return correct;
    }

    /** Summed cross-entropy of the scored steps (not normalized). */
    public double lossSum() {
        return lossSum;
    }

    /** Mean cross-entropy over the scored steps added; refuses an empty aggregator. */
    public double meanLoss() {
        requireNonEmpty();
        return lossSum / scored;
    }

    /** Accuracy over the scored steps added; refuses an empty aggregator. */
    public double accuracy() {
        requireNonEmpty();
        return correct / (double) scored;
    }

    private void requireNonEmpty() {
        if (scored == 0) {
            throw new IllegalStateException("an empty gradient aggregator has no loss or accuracy");
        }
    }

    @Override
    public String toString() {
        return "GradientSum[" + episodes + " episodes, " + scored + " scored, |g|_1 = "
                + Arrays.stream(toDoubles(gradient())).map(Math::abs).sum() + "]";
    }

    private static double[] toDoubles(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
