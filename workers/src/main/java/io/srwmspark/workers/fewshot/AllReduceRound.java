package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.io.FloatBytes;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectStreamField;
import java.io.Serializable;
import java.util.List;
import java.util.zip.CRC32C;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One round of {@code train.allreduce-steps = K} (docs/distributed.md): K exact steps in one Spark job. Every
 * shard holds the same parameters and Adam state; at each step it computes the gradient sum of its share
 * [from, to) of the step's global batch ({@link FewShotTrainer#shard}, the same as a one-job-per-step shard),
 * hands it to the {@link Exchange} (on Spark, a reducer on the driver that the shards reach over TCP), which adds
 * all shards' sums in partition order and hands the total back to every shard; each applies the same Adam update.
 * The replicas therefore stay identical to the bit, and equal the driver's update of a one-job-per-step run that
 * adds the same shards in the same order:
 *
 * <pre>
 *   for s = s0 .. s0 + K - 1:   g_i = shard i's gradient sum of step s at p             (every shard i, in parallel)
 *                               g   = ((g_0 + g_1) + g_2) + ...                          (partition order, once)
 *                               (p, m, v) &lt;- Adam(p, m, v, g)                           (on every shard; step s + 1)
 * </pre>
 *
 * What Spark's per-step job would cost (broadcast, task scheduling and launch, result handling) is paid once per
 * round; a step pays the exchange of the shards' sums instead.
 */
public final class AllReduceRound implements FewShotTrainer.Round, Serializable {

    private static final long serialVersionUID = 1L;
    /** Java serialization writes these fields by default and the three vectors through {@link FloatBytes}. */
    private static final ObjectStreamField[] serialPersistentFields = {
        new ObjectStreamField("steps", int.class), new ObjectStreamField("lossSum", double.class),
        new ObjectStreamField("correct", long.class), new ObjectStreamField("scored", long.class),
        new ObjectStreamField("computeNanos", long.class), new ObjectStreamField("exchangeNanos", long.class),
        new ObjectStreamField("digest", long.class)};

    /** Adds one step's gradient sums over all shards. */
    @FunctionalInterface
    public interface Exchange {
        /**
         * @return the sum of every shard's gradient sum of step {@code step}, added in partition order
         *         ({@code own} among them), the same on every shard
         */
        GradientSum allReduce(long step, GradientSum own);
    }

    /**
     * Runs one step's shard computation on the task's cores: as it is ({@link #OWN}), or, in an executor, as a
     * member of the step's {@link io.srwmspark.workers.concurrent.LoopTeam}. It must return what {@code shard}
     * returns.
     */
    @FunctionalInterface
    public interface StepCores {
        /** The shard computed on the calling thread alone. */
        StepCores OWN = (step, shard) -> shard.get();

        GradientSum compute(long step, java.util.function.Supplier<GradientSum> shard);
    }

    /** Parameters and Adam moments after the round; null in a {@link #digestOnly} copy. */
    private float[] params;
    private float[] m;
    private float[] v;
    private int steps;
    private double lossSum;
    private long correct;
    private long scored;
    private long computeNanos;
    private long exchangeNanos;
    private long digest;

    private AllReduceRound(float[] params, float[] m, float[] v, int steps, double lossSum, long correct,
            long scored, long computeNanos, long exchangeNanos, long digest) {
        this.params = params;
        this.m = m;
        this.v = v;
        this.steps = steps;
        this.lossSum = lossSum;
        this.correct = correct;
        this.scored = scored;
        this.computeNanos = computeNanos;
        this.exchangeNanos = exchangeNanos;
        this.digest = digest;
    }

    /**
     * K exact steps {@code step .. step + k - 1} from parameters {@code params} and the Adam state (m, v,
     * {@code adamStep} steps done), this shard computing episodes [from, to) of each step.
     */
    public static AllReduceRound run(FewShotConfig cfg, FewShotModel model, ClassImages trainSplit, long step, int k,
            float[] params, float[] m, float[] v, long adamStep, int from, int to, Exchange exchange) {
        return run(cfg, model, trainSplit, step, k, params, m, v, adamStep, from, to, exchange, StepCores.OWN);
    }

    /**
     * As {@link #run(FewShotConfig, FewShotModel, ClassImages, long, int, float[], float[], float[], long, int, int,
     * Exchange)}, each step's shard computed through {@code cores}.
     */
    public static AllReduceRound run(FewShotConfig cfg, FewShotModel model, ClassImages trainSplit, long step, int k,
            float[] params, float[] m, float[] v, long adamStep, int from, int to, Exchange exchange,
            StepCores cores) {
        FewShotConfig.Train t = cfg.train();
        if (k < 1 || from < 0 || to <= from || to > t.batch()) {
            throw new IllegalArgumentException("an all-reduce round needs k >= 1 and 0 <= from < to <= " + t.batch()
                    + ", got k = " + k + ", [" + from + ", " + to + ")");
        }
        int size = Math.toIntExact(model.layout().size());
        Adam adam = new Adam(t.adam(), m, v, adamStep);
        float[] p = params.clone();
        INDArray at = Nd4j.create(Nd4j.createBuffer(p.clone()), new long[] {1, size});    // (1, P)
        double lossSum = 0;
        long correct = 0;
        long scored = 0;
        long compute = 0;
        long exchanged = 0;
        for (int j = 0; j < k; j++) {
            long s = step + j;
            GradientSum own = cores.compute(s, () -> FewShotTrainer.shard(cfg, model, trainSplit, s, at, from, to));
            long e0 = System.nanoTime();
            GradientSum total = exchange.allReduce(s, own);
            exchanged += System.nanoTime() - e0;
            adam.apply(p, total.gradient());
            at.data().asNioFloat().put(0, p);
            lossSum += total.lossSum();
            correct += total.correct();
            scored += total.scored();
            compute += total.maxShardNanos();
        }
        float[] m1 = adam.firstMoment();
        float[] v1 = adam.secondMoment();
        return new AllReduceRound(p, m1, v1, k, lossSum, correct, scored, compute, exchanged, digest(p, m1, v1));
    }

    /** CRC32C over the bits of the three vectors: replicas that agree to the bit have the same digest. */
    static long digest(float[]... vectors) {
        CRC32C crc = new CRC32C();
        byte[] buf = new byte[4096];
        for (float[] a : vectors) {
            int n = 0;
            for (float x : a) {
                int bits = Float.floatToRawIntBits(x);
                buf[n++] = (byte) bits;
                buf[n++] = (byte) (bits >>> 8);
                buf[n++] = (byte) (bits >>> 16);
                buf[n++] = (byte) (bits >>> 24);
                if (n == buf.length) {
                    crc.update(buf, 0, n);
                    n = 0;
                }
            }
            crc.update(buf, 0, n);
        }
        return crc.getValue();
    }

    /** This round without its vectors: what the shards other than the first send back, to be checked against it. */
    public AllReduceRound digestOnly() {
        return new AllReduceRound(null, null, null, steps, lossSum, correct, scored, computeNanos, exchangeNanos,
                digest);
    }

    /**
     * The first shard's round, after checking that every shard ended with the same parameters and moments.
     *
     * @param shards the shards' rounds in partition order, the first with its vectors
     */
    public static AllReduceRound agreed(List<AllReduceRound> shards) {
        if (shards.isEmpty() || shards.get(0).params == null) {
            throw new IllegalArgumentException("an all-reduce round needs the first shard's parameters");
        }
        AllReduceRound first = shards.get(0);
        for (int i = 1; i < shards.size(); i++) {
            if (shards.get(i).digest != first.digest || shards.get(i).steps != first.steps) {
                throw new IllegalStateException("all-reduce replicas diverged: shard " + i + " ended the round with "
                        + "state digest " + Long.toHexString(shards.get(i).digest) + " after " + shards.get(i).steps
                        + " steps, shard 0 with " + Long.toHexString(first.digest) + " after " + first.steps);
            }
        }
        return first;
    }

    @Override
    public float[] params() {
        return requireVectors(params).clone();
    }

    @Override
    public float[] firstMoment() {
        return requireVectors(m).clone();
    }

    @Override
    public float[] secondMoment() {
        return requireVectors(v).clone();
    }

    private static float[] requireVectors(float[] a) {
        if (a == null) {
            throw new IllegalStateException("a digest-only all-reduce round carries no vectors");
        }
        return a;
    }

    /** Steps the round took. */
    public int steps() {
        return steps;
    }

    /** Mean cross-entropy over the scored steps of the round's global batches (before each update). */
    @Override
    public double meanLoss() {
        return lossSum / Math.max(1, scored);
    }

    /** Accuracy over the scored steps of the round's global batches. */
    @Override
    public double accuracy() {
        return correct / (double) Math.max(1, scored);
    }

    /** The slowest shard's compute time, summed over the round's steps. */
    @Override
    public long computeNanos() {
        return computeNanos;
    }

    /**
     * This shard's time from its own gradient sum to the merged sum, summed over the steps: the exchange, and the
     * wait for slower shards.
     */
    public long exchangeNanos() {
        return exchangeNanos;
    }

    private void writeObject(java.io.ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        FloatBytes.write(out, params);
        FloatBytes.write(out, m);
        FloatBytes.write(out, v);
    }

    private void readObject(java.io.ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        params = FloatBytes.read(in, "all-reduce round parameters");
        m = FloatBytes.read(in, "all-reduce round Adam m");
        v = FloatBytes.read(in, "all-reduce round Adam v");
        boolean none = params == null && m == null && v == null;
        boolean all = params != null && m != null && v != null && m.length == params.length
                && v.length == params.length;
        if (!none && !all || steps < 1) {
            throw new InvalidObjectException("all-reduce round with missing or unequal vectors, or no steps");
        }
    }
}
