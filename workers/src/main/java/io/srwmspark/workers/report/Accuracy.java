package io.srwmspark.workers.report;

/**
 * Mean accuracy over test episodes with a 95% confidence interval: {@code 1.96 s / sqrt(n)}, s the sample
 * standard deviation of the per-episode accuracies (the paper's public code divides by n instead).
 *
 * @param mean     mean of the per-episode accuracies
 * @param ci95     half-width of the 95% interval
 * @param episodes n
 */
public record Accuracy(double mean, double ci95, long episodes) {

    /** From per-episode accuracies. */
    public static Accuracy of(double[] perEpisode) {
        int n = perEpisode.length;
        if (n == 0) {
            throw new IllegalArgumentException("accuracy of zero episodes is undefined");
        }
        double sum = 0;
        for (double a : perEpisode) {
            sum += a;
        }
        double mean = sum / n;
        if (n == 1) {
            return new Accuracy(mean, Double.NaN, 1);
        }
        double ss = 0;
        for (double a : perEpisode) {
            ss += (a - mean) * (a - mean);
        }
        double sd = Math.sqrt(ss / (n - 1));
        return new Accuracy(mean, 1.96 * sd / Math.sqrt(n), n);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%.2f%% +- %.2f%% (%d episodes)", 100 * mean, 100 * ci95,
                episodes);
    }
}
