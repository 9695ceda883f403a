package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.io.FloatBytes;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectStreamField;
import java.io.Serializable;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One round of {@code train.local-steps = K} (docs/distributed.md), the explicit option of the exact strategy
 * that trades exactness for K times fewer Spark jobs: each shard starts from the round's parameters and Adam
 * state and takes K Adam steps of its own, step s of the round on its share [from, to) of step s's global
 * episodes (the same episodes, seeds and dropout masks as the exact step s), with the gradient of the mean loss
 * over its own scored steps; {@link #average} then averages the shards' parameters and both Adam moments,
 * weighted by their episodes (local SGD with model averaging).
 *
 * <pre>
 *   for s = s0 .. s0 + K - 1:   g_i = (1 / n_i) sum_{e in shard i of step s} sum_{scored t} dCE / d theta
 *                               (p_i, m_i, v_i) &lt;- Adam(p_i, m_i, v_i, g_i)          (Adam's step count s + 1)
 *   p = sum_i (|shard i| / B) p_i,  m and v likewise
 * </pre>
 *
 * With one shard (the whole batch) a round is exactly K exact steps; with P shards it depends on P (not on the
 * executors that run them), like any model averaging.
 */
public final class LocalRound implements FewShotTrainer.Round, Serializable {

    private static final long serialVersionUID = 1L;
    /** Java serialization writes these fields by default and the three vectors through {@link FloatBytes}. */
    private static final ObjectStreamField[] serialPersistentFields = {
        new ObjectStreamField("episodes", long.class), new ObjectStreamField("lossSum", double.class),
        new ObjectStreamField("correct", long.class), new ObjectStreamField("scored", long.class),
        new ObjectStreamField("computeNanos", long.class)};

    private float[] params;
    private float[] m;
    private float[] v;
    private long episodes;
    private double lossSum;
    private long correct;
    private long scored;
    private long computeNanos;

    private LocalRound(float[] params, float[] m, float[] v, long episodes, double lossSum, long correct,
            long scored, long computeNanos) {
        this.params = params;
        this.m = m;
        this.v = v;
        this.episodes = episodes;
        this.lossSum = lossSum;
        this.correct = correct;
        this.scored = scored;
        this.computeNanos = computeNanos;
    }

    /**
     * K local steps on episodes [from, to) of steps {@code step .. step + k - 1}, from parameters {@code params}
     * and the Adam state (m, v, {@code adamStep} steps done).
     */
    public static LocalRound run(FewShotConfig cfg, FewShotModel model, ClassImages trainSplit, long step, int k,
            float[] params, float[] m, float[] v, long adamStep, int from, int to) {
        FewShotConfig.Train t = cfg.train();
        if (k < 1 || from < 0 || to <= from || to > t.batch()) {
            throw new IllegalArgumentException("a local round needs k >= 1 and 0 <= from < to <= " + t.batch()
                    + ", got k = " + k + ", [" + from + ", " + to + ")");
        }
        long t0 = System.nanoTime();
        int size = Math.toIntExact(model.layout().size());
        Adam adam = new Adam(t.adam(), m, v, adamStep);
        float[] p = params.clone();
        INDArray at = Nd4j.create(Nd4j.createBuffer(p.clone()), new long[] {1, size});
        double lossSum = 0;
        long correct = 0;
        long scored = 0;
        for (int j = 0; j < k; j++) {
            GradientSum g = FewShotTrainer.shardOwnMean(cfg, model, trainSplit, step + j, at, from, to);
            adam.apply(p, g.gradient());
            at.data().asNioFloat().put(0, p);
            lossSum += g.lossSum();
            correct += g.correct();
            scored += g.scored();
        }
        return new LocalRound(p, adam.firstMoment(), adam.secondMoment(), to - from, lossSum, correct, scored,
                System.nanoTime() - t0);
    }

    /**
     * The episode-weighted average of the shards' parameters and Adam moments, in the order given (so the same
     * shards give the same bits), with their losses and accuracies pooled.
     */
    public static LocalRound average(List<LocalRound> shards) {
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("no shard to average");
        }
        int size = shards.get(0).params.length;
        long episodes = 0;
        for (LocalRound r : shards) {
            if (r.params.length != size) {
                throw new IllegalArgumentException("shards of " + size + " and " + r.params.length + " parameters");
            }
            episodes += r.episodes;
        }
        float[][] out = new float[3][size];
        double[] acc = new double[size];
        for (int which = 0; which < 3; which++) {
            java.util.Arrays.fill(acc, 0);
            for (LocalRound r : shards) {
                float[] a = which == 0 ? r.params : which == 1 ? r.m : r.v;
                double w = r.episodes;
                for (int i = 0; i < size; i++) {
                    acc[i] += w * a[i];
                }
            }
            for (int i = 0; i < size; i++) {
                out[which][i] = (float) (acc[i] / episodes);
            }
        }
        double lossSum = 0;
        long correct = 0;
        long scored = 0;
        long maxNanos = 0;
        for (LocalRound r : shards) {
            lossSum += r.lossSum;
            correct += r.correct;
            scored += r.scored;
            maxNanos = Math.max(maxNanos, r.computeNanos);
        }
        return new LocalRound(out[0], out[1], out[2], episodes, lossSum, correct, scored, maxNanos);
    }

    /** Parameters (a copy). */
    @Override
    public float[] params() {
        return params.clone();
    }

    /** Adam's first moments (a copy). */
    @Override
    public float[] firstMoment() {
        return m.clone();
    }

    /** Adam's second moments (a copy). */
    @Override
    public float[] secondMoment() {
        return v.clone();
    }

    /** Episodes of the step batches this round covered (per step). */
    public long episodes() {
        return episodes;
    }

    /** Mean cross-entropy over the scored steps of the round's local steps (before each update). */
    @Override
    public double meanLoss() {
        return lossSum / Math.max(1, scored);
    }

    /** Accuracy over the scored steps of the round's local steps. */
    @Override
    public double accuracy() {
        return correct / (double) Math.max(1, scored);
    }

    /** A shard's compute time; after {@link #average}, the slowest shard's. */
    @Override
    public long computeNanos() {
        return computeNanos;
    }

    private void writeObject(java.io.ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        FloatBytes.write(out, params);
        FloatBytes.write(out, m);
        FloatBytes.write(out, v);
    }

    private void readObject(java.io.ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        params = FloatBytes.read(in, "local round parameters");
        m = FloatBytes.read(in, "local round Adam m");
        v = FloatBytes.read(in, "local round Adam v");
        if (params == null || m == null || v == null || m.length != params.length || v.length != params.length) {
            throw new InvalidObjectException("local round with missing or unequal vectors");
        }
    }
}
