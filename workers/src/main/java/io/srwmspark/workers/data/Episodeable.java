package io.srwmspark.workers.data;

import java.util.function.IntFunction;

/** The check behind {@code requireEpisodeable} of {@link ClassList} and {@link ImageSet}. */
final class Episodeable {

    private Episodeable() {
    }

    static void require(String split, int ways, int shots, int queries, int[] classSizes, IntFunction<String> name) {
        if (ways < 1 || shots < 0 || queries < 0 || shots + queries < 1) {
            throw new IllegalArgumentException("episodes need ways >= 1, shots >= 0, queries >= 0 and shots + queries"
                    + " >= 1, got ways " + ways + ", shots " + shots + ", queries " + queries);
        }
        if (classSizes.length < ways) {
            throw new IllegalArgumentException("split '" + split + "' has " + classSizes.length + " classes, fewer than"
                    + " the " + ways + " ways of an episode");
        }
        int need = shots + queries;
        int smallest = -1;
        int tooSmall = 0;
        for (int c = 0; c < classSizes.length; c++) {
            if (classSizes[c] < need) {
                tooSmall++;
                if (smallest < 0 || classSizes[c] < classSizes[smallest]) {
                    smallest = c;
                }
            }
        }
        if (smallest >= 0) {
            throw new IllegalArgumentException("split '" + split + "': class '" + name.apply(smallest) + "' has "
                    + classSizes[smallest] + " images, fewer than shots + queries = " + shots + " + " + queries + " = "
                    + need + (tooSmall > 1 ? " (" + tooSmall + " classes are too small)" : ""));
        }
    }
}
