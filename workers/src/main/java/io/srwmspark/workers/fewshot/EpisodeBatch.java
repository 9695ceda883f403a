package io.srwmspark.workers.fewshot;

/**
 * B episodes of length T laid out for the model, episode-major (image b T + t is step t of episode b, so
 * every episode's images are contiguous: the backbone normalizes each episode over its own images).
 *
 * @param spec      the episode shape
 * @param episodes  B
 * @param images    (B T, C, H, W) image values
 * @param channels  C
 * @param height    H
 * @param width     W
 * @param labelsIn  (B, T, W) one-hot label fed with each step (all zero where none is fed), W &gt;= N
 * @param targets   (B, T) true class of each step, 0..N-1
 * @param scored    (B, T) 1 where the loss and accuracy count the step, else 0
 * @param shot      (B, T) which occurrence of its class the step is (0 = first), for per-shot accuracy
 */
public record EpisodeBatch(EpisodeSpec spec, int episodes, float[] images, int channels, int height, int width,
        float[] labelsIn, int[] targets, float[] scored, int[] shot) {

    public int steps() {
        return spec.length();
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
