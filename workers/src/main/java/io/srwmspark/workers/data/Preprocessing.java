package io.srwmspark.workers.data;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * What a decoded image becomes: {@code channels} x {@code height} x {@code width} floats.
 *
 * <p>Steps, in order: colour to grey (ITU-R 601 luma {@code 0.299 R + 0.587 G + 0.114 B}, as PIL's
 * {@code convert("L")}) or grey to three equal channels, as {@code channels} asks; transparent pixels composited on
 * white; values scaled to [0, 1] (divided by 2^bits - 1); resize to {@code height} x {@code width} ignoring the
 * aspect ratio, by area averaging when shrinking (each output pixel the exact, fractionally weighted mean of the
 * source pixels it covers; OpenCV's INTER_AREA) and bilinear interpolation with half-pixel centres when
 * enlarging, separately per axis; then {@code x -> 1 - x} if {@code invert}; then {@code (x - mean[c]) / std[c]}
 * when a normalization is given.
 *
 * <p>Omniglot's PNGs are black strokes (0) on white (1). The paper's pipeline (torchmeta's {@code Resize(28),
 * ToTensor()}) keeps that, and so does {@link #omniglot()}: {@code invert} is off by default. With {@code invert}
 * strokes are 1 on a 0 background (sparse input, zero padding matches the background): use it when training a
 * model from scratch that is not followed by batch normalization; nearest-neighbour distances do not change.
 *
 * @param channels 1 (grey) or 3 (RGB)
 * @param height   output rows, 1..4096
 * @param width    output columns, 1..4096
 * @param invert   {@code x -> 1 - x} before normalization
 * @param mean     per-channel mean subtracted after inversion; empty for none, else {@code channels} values
 * @param std      per-channel divisor, each > 0; empty exactly when {@code mean} is
 */
public record Preprocessing(int channels, int height, int width, boolean invert, List<Double> mean,
        List<Double> std) {

    /** ImageNet's RGB channel means and standard deviations, used for Mini-ImageNet. */
    public static final List<Double> IMAGENET_MEAN = List.of(0.485, 0.456, 0.406);
    public static final List<Double> IMAGENET_STD = List.of(0.229, 0.224, 0.225);
    /** Omniglot's grey mean and standard deviation at 28x28, not inverted (torchmeta's {@code omniglot_norm}). */
    public static final double OMNIGLOT_MEAN = 0.922;
    public static final double OMNIGLOT_STD = 0.084;

    public Preprocessing {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("preprocessing channels must be 1 or 3, got " + channels);
        }
        if (height < 1 || height > 4096 || width < 1 || width > 4096) {
            throw new IllegalArgumentException("preprocessing size must be 1..4096 per side, got " + height + "x"
                    + width);
        }
        mean = List.copyOf(mean);
        std = List.copyOf(std);
        if (mean.size() != std.size() || (!mean.isEmpty() && mean.size() != channels)) {
            throw new IllegalArgumentException("normalization needs " + channels + " means and " + channels
                    + " stds (or none), got " + mean.size() + " and " + std.size());
        }
        for (double s : std) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("normalization std must be finite and > 0, got " + std);
            }
        }
        for (double m : mean) {
            if (!Double.isFinite(m)) {
                throw new IllegalArgumentException("normalization mean must be finite, got " + mean);
            }
        }
    }

    /** Omniglot as in the paper: 1 x 28 x 28 grey in [0, 1], strokes 0 on a white 1 background. */
    public static Preprocessing omniglot() {
        return new Preprocessing(1, 28, 28, false, List.of(), List.of());
    }

    /**
     * Omniglot for the sequential multi-task setting next to Mini-ImageNet: 3 x 84 x 84, grey repeated over the
     * three channels, in [0, 1]; {@code .withNormalization} of {@link #OMNIGLOT_MEAN}/{@link #OMNIGLOT_STD} gives
     * the paper code's {@code omniglot_rgb84x84_norm}.
     */
    public static Preprocessing omniglotRgb84() {
        return new Preprocessing(3, 84, 84, false, List.of(), List.of());
    }

    /** Mini-ImageNet: 3 x 84 x 84 RGB, normalized with the ImageNet mean and std. */
    public static Preprocessing miniImageNet() {
        return new Preprocessing(3, 84, 84, false, IMAGENET_MEAN, IMAGENET_STD);
    }

    public Preprocessing withInvert(boolean inv) {
        return new Preprocessing(channels, height, width, inv, mean, std);
    }

    /**
     * The same with {@code c} channels: grey becomes three equal channels (a single normalization value is
     * repeated), colour becomes grey by luma (the normalization becomes the mean of the channels' values).
     */
    public Preprocessing withChannels(int c) {
        if (c == channels) {
            return this;
        }
        if (c == 3) {
            return new Preprocessing(3, height, width, invert, List.of(), List.of()).withNormalization(mean, std);
        }
        if (c != 1) {
            throw new IllegalArgumentException("preprocessing channels must be 1 or 3, got " + c);
        }
        List<Double> m = mean.isEmpty() ? List.of() : List.of(mean.stream().mapToDouble(Double::doubleValue)
                .average().orElseThrow());
        List<Double> s = std.isEmpty() ? List.of() : List.of(std.stream().mapToDouble(Double::doubleValue)
                .average().orElseThrow());
        return new Preprocessing(1, height, width, invert, m, s);
    }

    public Preprocessing withSize(int h, int w) {
        return new Preprocessing(channels, h, w, invert, mean, std);
    }

    /** The same with {@code (x - mean) / std}, one value per channel (a single value is repeated). */
    public Preprocessing withNormalization(List<Double> m, List<Double> s) {
        List<Double> mm = m.size() == 1 && channels == 3 ? List.of(m.get(0), m.get(0), m.get(0)) : m;
        List<Double> ss = s.size() == 1 && channels == 3 ? List.of(s.get(0), s.get(0), s.get(0)) : s;
        return new Preprocessing(channels, height, width, invert, mm, ss);
    }

    /** Floats per image: channels * height * width. */
    public int imageSize() {
        return channels * height * width;
    }

    /** Writes the preprocessed image, (channels, height, width) in C order, into {@code dst} from {@code offset}. */
    public void apply(BufferedImage image, float[] dst, int offset) {
        float[][] planes = Pixels.planes(image, channels == 3);
        int w = image.getWidth();
        int h = image.getHeight();
        int n = height * width;
        float[] tmp = new float[h * width]; // (h, width): rows resized first
        for (int c = 0; c < channels; c++) {
            Pixels.resize(planes[c], h, w, height, width, tmp, dst, offset + c * n);
            float m = mean.isEmpty() ? 0f : (float) (double) mean.get(c);
            float inv = std.isEmpty() ? 1f : (float) (1.0 / std.get(c));
            for (int k = offset + c * n, end = k + n; k < end; k++) {
                float v = invert ? 1f - dst[k] : dst[k];
                dst[k] = (v - m) * inv;
            }
        }
    }

    /** E.g. {@code 1x28x28 grey, inverted} or {@code 3x84x84 RGB, normalized}. */
    public String describe() {
        return channels + "x" + height + "x" + width + (channels == 1 ? " grey" : " RGB") + (invert ? ", inverted" : "")
                + (mean.isEmpty() ? "" : ", normalized mean " + mean + " std " + std);
    }
}
