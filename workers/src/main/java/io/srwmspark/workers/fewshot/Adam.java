package io.srwmspark.workers.fewshot;

/**
 * Adam (Kingma and Ba, 2015) on a flat float32 parameter vector, with the paper's settings as defaults
 * (betas 0.9 and 0.995, eps 1e-9, no weight decay), an optional learning-rate schedule and optional
 * clipping of the gradient's global L2 norm. Plain Java loops in a fixed order: the same gradients give the
 * same parameters on every machine.
 *
 * <pre>
 *   g &lt;- g min(1, clip / |g|)          (when clip &gt; 0)
 *   m &lt;- b1 m + (1 - b1) g            v &lt;- b2 v + (1 - b2) g^2
 *   p &lt;- p - lr(s) (m / (1 - b1^s)) / (sqrt(v / (1 - b2^s)) + eps)
 * </pre>
 */
public final class Adam {

    /**
     * Hyperparameters.
     *
     * @param lr       learning rate (constant schedule) or multiplier of the Noam schedule
     * @param beta1    first-moment decay
     * @param beta2    second-moment decay
     * @param eps      denominator epsilon
     * @param schedule {@code constant} or {@code noam}
     * @param warmup   Noam warm-up steps
     * @param modelDim D of the Noam schedule's D^-0.5
     * @param clipNorm global-norm clip, 0 for none
     */
    public record Settings(double lr, double beta1, double beta2, double eps, String schedule, int warmup,
            int modelDim, double clipNorm) {

        public Settings {
            if (!(lr > 0)) {
                throw new IllegalArgumentException("train.lr must be > 0, got " + lr);
            }
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            if (!(eps > 0)) {
                throw new IllegalArgumentException("Adam eps must be > 0, got " + eps);
            }
            if (!schedule.equals("constant") && !schedule.equals("noam")) {
                throw new IllegalArgumentException("train.schedule must be constant or noam, got '" + schedule + "'");
            }
            if (warmup < 1 || modelDim < 1) {
                throw new IllegalArgumentException("train.warmup and the model width must be >= 1");
            }
            if (!(clipNorm >= 0)) {
                throw new IllegalArgumentException("train.clip must be >= 0, got " + clipNorm);
            }
        }

        /** Learning rate at step s (1-based). */
        public double rate(long s) {
            if (schedule.equals("noam")) {
                return lr * Math.pow(modelDim, -0.5) * Math.min(Math.pow(s, -0.5), s * Math.pow(warmup, -1.5));
            }
            return lr;
        }
    }

    private final Settings settings;
    private final float[] m;
    private final float[] v;
    private long step;

    public Adam(Settings settings, int size) {
        this.settings = settings;
        this.m = new float[size];
        this.v = new float[size];
    }

    /** Restores a saved state. */
    public Adam(Settings settings, float[] m, float[] v, long step) {
        if (m.length != v.length) {
            throw new IllegalArgumentException("Adam state: m has " + m.length + " values, v " + v.length);
        }
        this.settings = settings;
        this.m = m.clone();
        this.v = v.clone();
        this.step = step;
    }

    public Settings settings() {
        return settings;
    }

    public long step() {
        return step;
    }

    public float[] firstMoment() {
        return m.clone();
    }

    public float[] secondMoment() {
        return v.clone();
    }

    /**
     * One update of {@code params} with {@code grad} (modified in place when clipped).
     *
     * @return the gradient's global L2 norm before clipping
     */
    public double apply(float[] params, float[] grad) {
        if (params.length != m.length || grad.length != m.length) {
            throw new IllegalArgumentException("Adam over " + m.length + " parameters got " + params.length
                    + " parameters and " + grad.length + " gradients");
        }
        double sq = 0;
        for (float g : grad) {
            sq += (double) g * g;
        }
        double norm = Math.sqrt(sq);
        if (settings.clipNorm() > 0 && norm > settings.clipNorm()) {
            float scale = (float) (settings.clipNorm() / norm);
            for (int i = 0; i < grad.length; i++) {
                grad[i] *= scale;
            }
        }
        step++;
        double b1 = settings.beta1();
        double b2 = settings.beta2();
        double lr = settings.rate(step);
        float c1 = (float) (1 - b1);
        float c2 = (float) (1 - b2);
        float fb1 = (float) b1;
        float fb2 = (float) b2;
        float stepSize = (float) (lr / (1 - Math.pow(b1, step)));
        float bias2 = (float) (1 / Math.sqrt(1 - Math.pow(b2, step)));
        float eps = (float) settings.eps();
        for (int i = 0; i < params.length; i++) {
            float g = grad[i];
            float mi = fb1 * m[i] + c1 * g;
            float vi = fb2 * v[i] + c2 * g * g;
            m[i] = mi;
            v[i] = vi;
            params[i] -= stepSize * mi / ((float) Math.sqrt(vi) * bias2 + eps);
        }
        return norm;
    }
}
