package io.srwmspark.workers.dl4j;

import io.srwmspark.workers.fewshot.ProtoAux;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The auxiliary prototypical loss of the exact path ({@code ProtoAux}, {@code train.aux-proto}) as a DL4J loss
 * function, for a parameter-free {@code RnnLossLayer} on the backbone features: per episode, the prototype of a
 * label is the mean feature of the supports fed with it, a scored query's logits are {@code -|f_q - p_j|^2},
 * and the loss is {@code weight} times their cross-entropy, summed over scored queries.
 *
 * <p>DL4J hands a loss function the rows of all episodes of a minibatch as one 2-d array, in an order of its
 * own, so the labels say which episode each row belongs to. Labels per row (width 2N + 1):
 * <pre>
 *   [0, N)   one-hot of the label fed with the row (a support), else zero
 *   [N, 2N)  one-hot of the row's class if the row is a scored query, else zero
 *   2N       episode key: rows with equal keys form one episode
 * </pre>
 * Rows whose mask entry is 0 are ignored entirely. A label with no support in its episode gets no prototype
 * (its logit is minus infinity), as in the exact path.
 */
public final class ProtoAuxLoss implements ILossFunction {

    @JsonProperty("weight")
    private double weight;

    /** For JSON deserialisation. */
    private ProtoAuxLoss() {
    }

    /** @param weight factor of the loss, &gt; 0 */
    public ProtoAuxLoss(double weight) {
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("prototypical loss weight must be > 0 and finite, got " + weight);
        }
        this.weight = weight;
    }

    public double getWeight() {
        return weight;
    }

    /** Width of the label rows for N-way episodes: 2N + 1. */
    public static int labelWidth(int ways) {
        return 2 * ways + 1;
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
            boolean average) {
        double sum = compute(labels, preOutput, activationFn, mask, false).perRow().sumNumber().doubleValue();
        return average ? sum / labels.size(0) : sum;
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return compute(labels, preOutput, activationFn, mask, false).perRow();
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return compute(labels, preOutput, activationFn, mask, true).gradient();
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
            IActivation activationFn, INDArray mask, boolean average) {
        Result r = compute(labels, preOutput, activationFn, mask, true);
        double sum = r.perRow().sumNumber().doubleValue();
        return new Pair<>(average ? sum / labels.size(0) : sum, r.gradient());
    }

    @Override
    public String name() {
        return "ProtoAuxLoss(weight=" + weight + ")";
    }

    /** Per-row scores (R, 1) and, when asked, dScore/dPreOutput (R, F). */
    private record Result(INDArray perRow, INDArray gradient) {
    }

    private Result compute(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
            boolean withGradient) {
        if (labels.rank() != 2 || preOutput.rank() != 2 || labels.size(0) != preOutput.size(0)
                || labels.size(1) < 3 || labels.size(1) % 2 != 1) {
            throw new IllegalArgumentException("ProtoAuxLoss needs 2-d labels (R, 2N+1) and features (R, F) with the"
                    + " same R, got " + java.util.Arrays.toString(labels.shape()) + " and "
                    + java.util.Arrays.toString(preOutput.shape()));
        }
        int rows = (int) preOutput.size(0);
        int f = (int) preOutput.size(1);
        int n = (int) (labels.size(1) - 1) / 2;
        INDArray act = activationFn.getActivation(preOutput.dup(), true);                     // (R, F)
        double[] x = act.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] lab = labels.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] keep = mask == null ? null : mask.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int w = 2 * n + 1;
        // group rows by episode key, in first-seen order
        Map<Double, java.util.List<Integer>> episodes = new LinkedHashMap<>();
        for (int r = 0; r < rows; r++) {
            if (keep != null && keep[r] == 0) {
                continue;
            }
            episodes.computeIfAbsent(lab[r * w + 2 * n], k -> new java.util.ArrayList<>()).add(r);
        }
        double[] score = new double[rows];
        double[] g = new double[rows * f];
        for (java.util.List<Integer> ep : episodes.values()) {
            int[] members = ep.stream().mapToInt(Integer::intValue).toArray();
            int[] fed = new int[members.length];
            int[] target = new int[members.length];
            for (int i = 0; i < members.length; i++) {
                fed[i] = argOne(lab, members[i] * w, n);
                target[i] = argOne(lab, members[i] * w + n, n);
            }
            ProtoAux.episode(x, f, n, members, fed, target, weight, score, withGradient ? g : null);
        }
        INDArray perRow = Nd4j.create(Nd4j.createBuffer(score), new long[] {rows, 1}).castTo(preOutput.dataType());
        if (!withGradient) {
            return new Result(perRow, null);
        }
        INDArray dAct = Nd4j.create(Nd4j.createBuffer(g), new long[] {rows, f}).castTo(preOutput.dataType());
        INDArray dPre = activationFn.backprop(preOutput.dup(), dAct).getFirst();
        return new Result(perRow, dPre);
    }

    /** Index of the non-zero entry of {@code values[from, from + n)}, or -1 if all are zero. */
    private static int argOne(double[] values, int from, int n) {
        for (int j = 0; j < n; j++) {
            if (values[from + j] != 0) {
                return j;
            }
        }
        return -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProtoAuxLoss other && Double.compare(weight, other.weight) == 0;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(weight);
    }

    @Override
    public String toString() {
        return name();
    }
}
