package io.srwmspark.workers.rng;

/**
 * Where the dropout masks of a forward pass come from: row {@code r} of the pass (an image, or a sequence
 * position in episode-major order) draws its mask at site {@code k} from {@code derive(seed, k, firstRow + r)}.
 * With {@code seed} a function of the step only and {@code firstRow} the global index of the pass's first row,
 * every row gets the same mask however the step's batch is split into shards, so data-parallel training stays
 * exact with dropout.
 *
 * @param seed     the pass's seed (per step and layer)
 * @param firstRow global index of the pass's first row
 */
public record DropoutSeed(long seed, long firstRow) {

    /** Masks of a pass that is not split: rows numbered from 0. */
    public static DropoutSeed of(long seed) {
        return new DropoutSeed(seed, 0);
    }

    /** The seed of row {@code row} (local to the pass) at dropout site {@code site}. */
    public long rowSeed(int site, long row) {
        return Seeds.derive(seed, site, firstRow + row);
    }

    /** The same rows under another seed derived from this one by {@code path} (e.g. a layer index). */
    public DropoutSeed derive(long... path) {
        return new DropoutSeed(Seeds.derive(seed, path), firstRow);
    }
}
