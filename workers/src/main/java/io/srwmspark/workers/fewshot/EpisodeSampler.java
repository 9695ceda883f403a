package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.rng.Seeds;
import java.util.SplittableRandom;

/**
 * Draws N-way K-shot episodes from a split. Episode {@code i} is a pure function of (seed, i): any worker can
 * build any episode without coordination, and a retried task rebuilds the same one.
 *
 * <p>Per episode: N distinct classes, a fresh random permutation of the label ids 0..N-1 over them, K
 * supports per class in shuffled order. Synchronous setting (paper's main results): each support is fed
 * with its own one-hot label, then Q queries (classes drawn uniformly from the N, images distinct from the
 * supports) with an all-zero label; only the queries are scored. Delayed setting: the label of step t-1 is
 * fed at step t and every step is scored.
 */
public final class EpisodeSampler implements EpisodeSource {

    private final ClassImages data;
    private final EpisodeSpec spec;
    private final long seed;
    private final int labelWidth;

    public EpisodeSampler(ClassImages data, EpisodeSpec spec, long seed) {
        this(data, spec, seed, spec.ways());
    }

    /**
     * @param labelWidth width of the one-hot label inputs (&gt;= N): a model built for N' &gt; N ways can be trained
     *                   on N-way episodes (a curriculum over N) with its own input width
     */
    public EpisodeSampler(ClassImages data, EpisodeSpec spec, long seed, int labelWidth) {
        if (labelWidth < spec.ways()) {
            throw new IllegalArgumentException("label width " + labelWidth + " is less than " + spec.ways() + " ways");
        }
        this.labelWidth = labelWidth;
        if (data.numClasses() < spec.ways()) {
            throw new IllegalArgumentException("a " + spec.ways() + "-way episode needs at least " + spec.ways()
                    + " classes, the split has " + data.numClasses());
        }
        int need = spec.imagesPerClass();
        for (int c = 0; c < data.numClasses(); c++) {
            if (data.numImages(c) < need) {
                throw new IllegalArgumentException("class '" + data.className(c) + "' has " + data.numImages(c)
                        + " images; " + spec.shots() + "-shot episodes with " + spec.queries()
                        + " queries need " + need);
            }
        }
        this.data = data;
        this.spec = spec;
        this.seed = seed;
    }

    @Override
    public EpisodeSpec spec() {
        return spec;
    }

    @Override
    public long scoredIn(long first, int count) {
        return (long) count * (spec.setting() == EpisodeSpec.LabelSetting.SYNCHRONOUS ? spec.queries()
                : spec.length());
    }

    @Override
    public EpisodeBatch batch(long first, int count) {
        int t = spec.length();
        int size = data.imageSize();
        float[] images = new float[count * t * size];
        float[] labels = new float[count * t * labelWidth];
        int[] targets = new int[count * t];
        float[] scored = new float[count * t];
        int[] shot = new int[count * t];
        for (int b = 0; b < count; b++) {
            fill(first + b, b, images, labels, targets, scored, shot);
        }
        return new EpisodeBatch(spec, first, count, t, images, data.channels(), data.height(), data.width(), labels, targets,
                scored, shot, new int[count * t]);
    }

    private void fill(long episode, int b, float[] images, float[] labels, int[] targets, float[] scored,
            int[] shot) {
        SplittableRandom rng = new SplittableRandom(Seeds.derive(seed, episode));
        int n = spec.ways();
        int k = spec.shots();
        int t = spec.length();
        int size = data.imageSize();
        int[] classes = distinct(rng, data.numClasses(), n);            // class of label id j is classes[j]
        int per = spec.imagesPerClass();
        int[][] picks = new int[n][];
        for (int j = 0; j < n; j++) {
            picks[j] = distinct(rng, data.numImages(classes[j]), per);
        }
        int nk = n * k;
        int[] order = new int[nk];                                      // support position -> label id
        for (int i = 0; i < nk; i++) {
            order[i] = i / k;
        }
        shuffle(rng, order);
        int[] used = new int[n];
        int base = b * t;
        for (int s = 0; s < t; s++) {
            int label;
            int image;
            if (s < nk) {
                label = order[s];
                image = picks[label][used[label]];
            } else {                                                     // synchronous queries
                label = rng.nextInt(n);
                image = picks[label][Math.min(k + (s - nk), per - 1)];
            }
            shot[base + s] = used[label]++;
            targets[base + s] = label;
            data.copyImage(classes[label], image, images, (base + s) * size);
            if (spec.setting() == EpisodeSpec.LabelSetting.SYNCHRONOUS) {
                if (s < nk) {
                    labels[(base + s) * labelWidth + label] = 1;
                } else {
                    scored[base + s] = 1;
                }
            } else {
                scored[base + s] = 1;
                if (s > 0) {
                    labels[(base + s) * labelWidth + targets[base + s - 1]] = 1;
                }
            }
        }
    }

    /** {@code count} distinct values of [0, range), in random order (partial Fisher-Yates). */
    static int[] distinct(SplittableRandom rng, int range, int count) {
        int[] all = new int[range];
        for (int i = 0; i < range; i++) {
            all[i] = i;
        }
        for (int i = 0; i < count; i++) {
            int j = i + rng.nextInt(range - i);
            int tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
        }
        return java.util.Arrays.copyOf(all, count);
    }

    private static void shuffle(SplittableRandom rng, int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
    }
}
