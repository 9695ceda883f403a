package io.srwmspark.workers.fewshot;

/**
 * The shape of the episodes of a run.
 *
 * @param ways    N, classes per episode
 * @param shots   K, labelled examples per class
 * @param queries Q, query images per episode (the paper's synchronous protocol scores 1); in the
 *                synchronous setting every query comes after all supports, with a dummy label, and is
 *                scored; in the delayed setting Q is unused
 * @param setting how labels are fed
 */
public record EpisodeSpec(int ways, int shots, int queries, LabelSetting setting) {

    /** How labels enter the sequence (paper, section 4.1). */
    public enum LabelSetting {
        /** Each support image comes with its own label; queries with a dummy (all-zero) label. */
        SYNCHRONOUS,
        /** The label of step t-1 is fed at step t (zero at t = 0); every position is scored. */
        DELAYED
    }

    public EpisodeSpec {
        if (ways < 2) {
            throw new IllegalArgumentException("episode ways (N) must be >= 2, got " + ways);
        }
        if (shots < 1) {
            throw new IllegalArgumentException("episode shots (K) must be >= 1, got " + shots);
        }
        if (setting == null) {
            throw new IllegalArgumentException("episode label setting must be synchronous or delayed");
        }
        if (setting == LabelSetting.SYNCHRONOUS && queries < 1) {
            throw new IllegalArgumentException("synchronous episodes need queries >= 1, got " + queries);
        }
        if (queries < 0) {
            throw new IllegalArgumentException("episode queries must be >= 0, got " + queries);
        }
    }

    /** Sequence length T: N K supports plus Q queries (synchronous) or N K (delayed). */
    public int length() {
        return ways * shots + (setting == LabelSetting.SYNCHRONOUS ? queries : 0);
    }

    /** Images needed per class at most: K + Q (a query class needs one more image than its supports). */
    public int imagesPerClass() {
        return shots + (setting == LabelSetting.SYNCHRONOUS ? queries : 0);
    }
}
