package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.rng.Seeds;
import java.util.SplittableRandom;

/**
 * The sequential multi-task setting of the paper (section 4.2): an episode is a delayed-label N-way K-shot
 * episode of one dataset followed in time by one of another dataset, each randomly truncated at its end by 0 to
 * {@code maxTrim} steps, in a random order. Labels are delayed across the whole sequence (the step after the
 * boundary is fed the first task's last label), every step is scored, and each step records its task and shot
 * so accuracy can be reported per task and per occurrence of a class.
 *
 * <p>As in the paper's code, the two truncations and the order are drawn once per group of episodes (a
 * training step's global batch, or an evaluation batch), so a group is a rectangle of one length. They are a
 * function of (seed, group) alone: episodes {@code g G .. g G + G - 1} form group {@code g}, every shard of a
 * step draws the same values, and a range of episodes may not cross a group boundary.
 */
public final class SequentialTasksSampler implements EpisodeSource {

    private final EpisodeSampler first;
    private final EpisodeSampler second;
    private final EpisodeSpec spec;
    private final long seed;
    private final int maxTrim;
    private final int group;
    private final int labelWidth;

    /**
     * @param tasks      the two datasets' classes
     * @param spec       each task's episode shape (delayed labels)
     * @param seed       the episode seed
     * @param labelWidth one-hot label width (&gt;= N)
     * @param maxTrim    the largest truncation of a task, 0 &lt;= maxTrim &lt; N K
     * @param group      episodes per group (G)
     */
    public SequentialTasksSampler(TaskPair tasks, EpisodeSpec spec, long seed, int labelWidth, int maxTrim,
            int group) {
        if (spec.setting() != EpisodeSpec.LabelSetting.DELAYED) {
            throw new IllegalArgumentException("the sequential multi-task setting needs episode.setting = delayed");
        }
        if (maxTrim < 0 || maxTrim >= spec.length()) {
            throw new IllegalArgumentException("multitask.max-trim = " + maxTrim + " must be in [0, "
                    + (spec.length() - 1) + "] for " + spec.ways() + "-way " + spec.shots() + "-shot tasks of "
                    + spec.length() + " steps");
        }
        if (group < 1) {
            throw new IllegalArgumentException("episode group size must be >= 1, got " + group);
        }
        this.first = new EpisodeSampler(tasks.first(), spec, Seeds.derive(seed, 0), labelWidth);
        this.second = new EpisodeSampler(tasks.second(), spec, Seeds.derive(seed, 1), labelWidth);
        this.spec = spec;
        this.seed = seed;
        this.maxTrim = maxTrim;
        this.group = group;
        this.labelWidth = labelWidth;
    }

    @Override
    public EpisodeSpec spec() {
        return spec;
    }

    @Override
    public int tasks() {
        return 2;
    }

    /** The truncation of each task and which comes first, for group {@code g}. */
    record Layout(int trimFirst, int trimSecond, boolean secondLeads, int taskLength) {

        int lengthOf(int task) {
            return taskLength - (task == 0 ? trimFirst : trimSecond);
        }

        int steps() {
            return lengthOf(0) + lengthOf(1);
        }

        /** The task at position 0 and 1 of the sequence. */
        int taskAt(int position) {
            return secondLeads ? 1 - position : position;
        }
    }

    Layout layout(long g) {
        SplittableRandom rng = new SplittableRandom(Seeds.derive(seed, 2, g));
        int a = rng.nextInt(maxTrim + 1);
        int b = rng.nextInt(maxTrim + 1);
        return new Layout(a, b, rng.nextBoolean(), spec.length());
    }

    private long groupOf(long first, int count) {
        long g = Math.floorDiv(first, group);
        if (count > 0 && Math.floorDiv(first + count - 1, group) != g) {
            throw new IllegalArgumentException("episodes " + first + ".." + (first + count - 1)
                    + " cross a group boundary (groups of " + group + " episodes share one truncation)");
        }
        return g;
    }

    @Override
    public long scoredIn(long first, int count) {
        return (long) count * layout(groupOf(first, count)).steps();
    }

    @Override
    public EpisodeBatch batch(long firstEpisode, int count) {
        Layout lay = layout(groupOf(firstEpisode, count));
        EpisodeBatch[] parts = {first.batch(firstEpisode, count), second.batch(firstEpisode, count)};
        int taskSteps = spec.length();
        int t = lay.steps();
        int size = parts[0].channels() * parts[0].height() * parts[0].width();
        float[] images = new float[count * t * size];
        float[] labels = new float[count * t * labelWidth];
        int[] targets = new int[count * t];
        float[] scored = new float[count * t];
        int[] shot = new int[count * t];
        int[] task = new int[count * t];
        for (int b = 0; b < count; b++) {
            int s = 0;
            for (int position = 0; position < 2; position++) {
                int k = lay.taskAt(position);
                EpisodeBatch part = parts[k];
                for (int i = 0; i < lay.lengthOf(k); i++, s++) {
                    int src = b * taskSteps + i;
                    int dst = b * t + s;
                    System.arraycopy(part.images(), src * size, images, dst * size, size);
                    targets[dst] = part.targets()[src];
                    shot[dst] = part.shot()[src];
                    task[dst] = k;
                    scored[dst] = 1;
                    if (s > 0) {
                        labels[dst * labelWidth + targets[dst - 1]] = 1;
                    }
                }
            }
        }
        return new EpisodeBatch(spec, firstEpisode, count, t, images, parts[0].channels(), parts[0].height(), parts[0].width(),
                labels, targets, scored, shot, task);
    }
}
