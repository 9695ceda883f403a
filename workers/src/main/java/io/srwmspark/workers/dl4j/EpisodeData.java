package io.srwmspark.workers.dl4j;

import io.srwmspark.workers.fewshot.EpisodeBatch;
import io.srwmspark.workers.fewshot.EpisodeSource;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Episodes of the project's {@link EpisodeSource} (a pure function of seed and index) as DL4J
 * {@link MultiDataSet}s for {@link FewShotGraph}, float32, recurrent layout NCW:
 * <pre>
 *   features[0]  images      (B, C H W, T)   step t of episode b is image b T + t of the batch
 *   features[1]  labelsIn    (B, N, T)       one-hot label fed with each step (zero for queries)
 *   labels[0]    targets     (B, N, T)       one-hot class of each step
 *   labelsMask[0] scored     (B, T)          1 where the loss counts (the queries when synchronous)
 *   labels[1]    aux labels  (B, 2N + 1, T)  {@link ProtoAuxLoss}'s layout, only with the auxiliary output
 * </pre>
 * The auxiliary labels' episode key is the global episode index modulo 2^23 (exact in float32), so episodes
 * merged into one minibatch by a worker keep distinct keys.
 */
public final class EpisodeData {

    /** Keys are exact in float32 below 2^24; consecutive indices of any minibatch stay distinct modulo 2^23. */
    private static final long KEY_MODULUS = 1L << 23;

    private EpisodeData() {
    }

    /** Episodes {@code first .. first + count - 1} of {@code source} as one MultiDataSet of B = count examples. */
    public static MultiDataSet batch(EpisodeSource source, long first, int count, boolean aux) {
        return of(source.batch(first, count), first, aux);
    }

    /** The same episodes as {@code count} MultiDataSets of one example each (what dl4j-spark workers merge). */
    public static List<MultiDataSet> single(EpisodeSource source, long first, int count, boolean aux) {
        List<MultiDataSet> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(batch(source, first + i, 1, aux));
        }
        return out;
    }

    /**
     * Converts a batch whose first episode has global index {@code firstIndex}.
     *
     * @param aux whether to add the labels of the auxiliary prototypical output
     */
    public static MultiDataSet of(EpisodeBatch b, long firstIndex, boolean aux) {
        int episodes = b.episodes();
        int t = b.steps();
        int size = b.channels() * b.height() * b.width();
        int n = b.labelWidth();
        float[] images = new float[episodes * size * t];
        float[] fed = new float[episodes * n * t];
        float[] target = new float[episodes * n * t];
        float[] mask = new float[episodes * t];
        float[] auxLabels = aux ? new float[episodes * (2 * n + 1) * t] : null;
        int aw = 2 * n + 1;
        for (int e = 0; e < episodes; e++) {
            float key = (float) Math.floorMod(firstIndex + e, KEY_MODULUS);
            for (int s = 0; s < t; s++) {
                int row = e * t + s;
                for (int k = 0; k < size; k++) {
                    images[(e * size + k) * t + s] = b.images()[row * size + k];          // (B, CHW, T)
                }
                int y = b.targets()[row];
                if (y < 0 || y >= n) {
                    throw new IllegalArgumentException("episode " + (firstIndex + e) + " step " + s + ": class " + y
                            + " outside the " + n + " label ids");
                }
                boolean scored = b.scored()[row] != 0;
                mask[e * t + s] = scored ? 1 : 0;
                target[(e * n + y) * t + s] = 1;
                for (int j = 0; j < n; j++) {
                    float v = b.labelsIn()[row * n + j];
                    fed[(e * n + j) * t + s] = v;
                    if (aux && v != 0) {
                        auxLabels[(e * aw + j) * t + s] = 1;
                    }
                }
                if (aux) {
                    if (scored) {
                        auxLabels[(e * aw + n + y) * t + s] = 1;
                    }
                    auxLabels[(e * aw + 2 * n) * t + s] = key;
                }
            }
        }
        INDArray[] features = {
            Nd4j.create(images, new long[] {episodes, size, t}, 'c'),
            Nd4j.create(fed, new long[] {episodes, n, t}, 'c')};
        INDArray targets = Nd4j.create(target, new long[] {episodes, n, t}, 'c');
        INDArray masks = Nd4j.create(mask, new long[] {episodes, t}, 'c');
        if (!aux) {
            return new MultiDataSet(features, new INDArray[] {targets}, null,
                    new INDArray[] {masks});
        }
        INDArray auxArr = Nd4j.create(auxLabels, new long[] {episodes, aw, t}, 'c');
        return new MultiDataSet(features, new INDArray[] {targets, auxArr}, null,
                new INDArray[] {masks, null});
    }
}
