package io.srwmspark.workers.fewshot;

/** Builds the episode source a configuration asks for. */
public final class Episodes {

    private Episodes() {
    }

    /**
     * Episodes of {@code spec} over {@code split}: plain N-way K-shot episodes, or in the sequential multi-task
     * setting ({@code multitask.enabled}) the two tasks of a {@link TaskPair} concatenated in time.
     *
     * @param labelWidth one-hot label width (the model's N)
     * @param group      episodes sharing one truncation in the multi-task setting (a step's global batch, an
     *                   evaluation batch); unused otherwise
     */
    public static EpisodeSource source(FewShotConfig cfg, ClassImages split, EpisodeSpec spec, long seed,
            int labelWidth, int group) {
        if (!cfg.multiTask().enabled()) {
            return new EpisodeSampler(split, spec, seed, labelWidth);
        }
        if (!(split instanceof TaskPair pair)) {
            throw new IllegalArgumentException("the sequential multi-task setting needs the classes of two datasets");
        }
        return new SequentialTasksSampler(pair, spec, seed, labelWidth, cfg.multiTask().maxTrim(), group);
    }
}
