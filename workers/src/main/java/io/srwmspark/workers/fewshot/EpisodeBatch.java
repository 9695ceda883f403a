package io.srwmspark.workers.fewshot;

/**
 * B episodes of length T laid out for the model, episode-major (image b T + t is step t of episode b, so
 * every episode's images are contiguous: the backbone normalizes each episode over its own images).
 *
 * @param spec      the episode shape
 * @param first     global index of the first episode (its row r is global row first T + r: dropout masks are
 *                  drawn per global row, so they do not depend on how a step is split into shards)
 * @param episodes  B
 * @param steps     T, steps per episode (the spec's length, or less where episodes are truncated)
 * @param images    (B T, C, H, W) image values
 * @param channels  C
 * @param height    H
 * @param width     W
 * @param labelsIn  (B, T, W) one-hot label fed with each step (all zero where none is fed), W &gt;= N
 * @param targets   (B, T) true class of each step, 0..N-1
 * @param scored    (B, T) 1 where the loss and accuracy count the step, else 0
 * @param shot      (B, T) which occurrence of its class the step is (0 = first), for per-shot accuracy
 * @param task      (B, T) which task the step belongs to (0 unless the sequential multi-task setting)
 */
public record EpisodeBatch(EpisodeSpec spec, long first, int episodes, int steps, float[] images, int channels, int height,
        int width, float[] labelsIn, int[] targets, float[] scored, int[] shot, int[] task) {

    public EpisodeBatch {
        int rows = episodes * steps;
        if (targets.length != rows || scored.length != rows || shot.length != rows || task.length != rows
                || images.length != (long) rows * channels * height * width || labelsIn.length % Math.max(1, rows) != 0) {
            throw new IllegalArgumentException("episode batch arrays do not match " + episodes + " episodes of "
                    + steps + " steps");
        }
    }

    /** Width of the one-hot label inputs. */
    public int labelWidth() {
        return episodes * steps == 0 ? 0 : labelsIn.length / (episodes * steps);
    }

    /** Number of scored positions in this batch. */
    public int scoredCount() {
        int n = 0;
        for (float s : scored) {
            n += s != 0 ? 1 : 0;
        }
        return n;
    }
}
