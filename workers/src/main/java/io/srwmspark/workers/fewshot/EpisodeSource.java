package io.srwmspark.workers.fewshot;

/**
 * Where a run's episodes come from. Episode {@code i} is a pure function of the source's seed and {@code i}, so
 * any worker can build any range of episodes without coordination and a retried task rebuilds the same ones.
 */
public interface EpisodeSource {

    /** The shape of the episodes (ways, shots, label setting). */
    EpisodeSpec spec();

    /** Episodes {@code first .. first + count - 1} as one batch. */
    EpisodeBatch batch(long first, int count);

    /**
     * The number of scored steps of episodes {@code first .. first + count - 1}, without building them: the
     * normalizer of a step's mean loss, which every shard of the step must agree on.
     */
    long scoredIn(long first, int count);

    /** How many tasks an episode concatenates (1, or 2 in the sequential multi-task setting). */
    default int tasks() {
        return 1;
    }
}
