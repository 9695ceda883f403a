package io.srwmspark.workers.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.MultiPixelPackedSampleModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/** Decoding, pixel extraction, resizing and rotation of images. */
final class Pixels {

    private static final float LUMA_R = 0.299f;
    private static final float LUMA_G = 0.587f;
    private static final float LUMA_B = 0.114f;

    private Pixels() {
    }

    /**
     * Decodes PNG, JPEG, BMP or GIF bytes with javax.imageio, in memory (no ImageIO disk cache). A decoder warning
     * (a truncated JPEG decodes with a grey tail and only warns) counts as corrupt.
     *
     * @throws IOException with the reason when the bytes are not an image ImageIO reads
     */
    static BufferedImage decode(byte[] bytes) throws IOException {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IOException("not an image format javax.imageio reads (PNG, JPEG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            String[] warning = new String[1];
            try {
                reader.setInput(in, true, true);
                reader.addIIOReadWarningListener((source, message) -> {
                    if (warning[0] == null) {
                        warning[0] = message;
                    }
                });
                BufferedImage img = reader.read(0);
                if (warning[0] != null) {
                    throw new IOException(reader.getFormatName() + " decoder: " + warning[0]);
                }
                return img;
            } catch (RuntimeException ex) {
                // Some plugins throw unchecked exceptions (IndexOutOfBounds, IllegalArgument) on corrupt data.
                throw new IOException(reader.getFormatName() + " decoder failed: " + ex, ex);
            } finally {
                reader.dispose();
            }
        }
    }

    /**
     * The image as planes of floats in [0, 1], each (h, w) in C order: one grey plane, or R, G, B when {@code rgb}.
     * Samples are read from the raster as stored (no colour management, as PIL does), so grey PNGs keep their
     * values; transparent pixels are composited on white.
     */
    static float[][] planes(BufferedImage img, boolean rgb) {
        int w = img.getWidth();
        int h = img.getHeight();
        int n = w * h;
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        float[] red = new float[n];
        float[] green;
        float[] blue;
        float[] alpha = null;
        int csType = cm.getColorSpace().getType();
        boolean direct = (cm instanceof ComponentColorModel || cm instanceof DirectColorModel)
                && (csType == ColorSpace.TYPE_GRAY || csType == ColorSpace.TYPE_RGB) && !cm.isAlphaPremultiplied()
                && r.getTransferType() != DataBuffer.TYPE_FLOAT && r.getTransferType() != DataBuffer.TYPE_DOUBLE;
        int[] buf = new int[n];
        if (cm instanceof IndexColorModel icm) {
            int size = icm.getMapSize();
            float[] lr = new float[size];
            float[] lg = new float[size];
            float[] lb = new float[size];
            float[] la = new float[size];
            for (int i = 0; i < size; i++) {
                lr[i] = icm.getRed(i) / 255f;
                lg[i] = icm.getGreen(i) / 255f;
                lb[i] = icm.getBlue(i) / 255f;
                la[i] = icm.getAlpha(i) / 255f;
            }
            samples(r, 0, buf);
            green = new float[n];
            blue = new float[n];
            alpha = icm.hasAlpha() ? new float[n] : null;
            for (int k = 0; k < n; k++) {
                int idx = buf[k];
                red[k] = lr[idx];
                green[k] = lg[idx];
                blue[k] = lb[idx];
                if (alpha != null) {
                    alpha[k] = la[idx];
                }
            }
        } else if (direct) {
            int colours = cm.getNumColorComponents();
            band(r, cm, 0, buf, red);
            if (colours == 1) {
                green = red;
                blue = red;
            } else {
                green = new float[n];
                blue = new float[n];
                band(r, cm, 1, buf, green);
                band(r, cm, 2, buf, blue);
            }
            if (cm.hasAlpha()) {
                alpha = new float[n];
                band(r, cm, colours, buf, alpha);
            }
        } else {
            // Other colour spaces (CMYK, linear RGB, premultiplied, float): let Java2D convert to sRGB.
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            green = new float[n];
            blue = new float[n];
            alpha = cm.hasAlpha() ? new float[n] : null;
            for (int k = 0; k < n; k++) {
                int p = argb[k];
                red[k] = ((p >>> 16) & 0xFF) / 255f;
                green[k] = ((p >>> 8) & 0xFF) / 255f;
                blue[k] = (p & 0xFF) / 255f;
                if (alpha != null) {
                    alpha[k] = (p >>> 24) / 255f;
                }
            }
        }
        boolean grey = red == green && green == blue;
        if (alpha != null) {
            // The planes are fresh arrays: composite on white in place (once when the three are one grey plane).
            composite(red, alpha);
            if (!grey) {
                composite(green, alpha);
                composite(blue, alpha);
            }
        }
        if (rgb) {
            return new float[][] {red, green, blue};
        }
        if (grey) {
            return new float[][] {red};
        }
        float[] luma = new float[n];
        for (int k = 0; k < n; k++) {
            luma[k] = LUMA_R * red[k] + LUMA_G * green[k] + LUMA_B * blue[k];
        }
        return new float[][] {luma};
    }

    /** Band {@code b} of every pixel; 1-bit rasters (Omniglot's PNGs) unpacked directly, others via getSamples. */
    private static void samples(Raster r, int b, int[] buf) {
        int w = r.getWidth();
        int h = r.getHeight();
        if (b == 0 && r.getSampleModel() instanceof MultiPixelPackedSampleModel mp && mp.getPixelBitStride() == 1
                && r.getDataBuffer() instanceof DataBufferByte db && r.getSampleModelTranslateX() == 0
                && r.getSampleModelTranslateY() == 0) {
            byte[] bytes = db.getData();
            int bit0 = mp.getBitOffset(0);
            for (int y = 0; y < h; y++) {
                int row = db.getOffset() + mp.getOffset(0, y);
                for (int x = 0; x < w; x++) {
                    int bit = bit0 + x;
                    buf[y * w + x] = (bytes[row + (bit >> 3)] >> (7 - (bit & 7))) & 1;
                }
            }
            return;
        }
        r.getSamples(0, 0, w, h, b, buf);
    }

    private static void composite(float[] v, float[] alpha) {
        for (int k = 0; k < v.length; k++) {
            v[k] = v[k] * alpha[k] + 1 - alpha[k];
        }
    }

    private static void band(Raster r, ColorModel cm, int b, int[] buf, float[] out) {
        samples(r, b, buf);
        float scale = 1f / ((1 << cm.getComponentSize(b)) - 1);
        for (int k = 0; k < out.length; k++) {
            out[k] = buf[k] * scale;
        }
    }

    /**
     * Resizes a (h, w) plane to (oh, ow) into {@code dst} from {@code offset}: rows first into {@code tmp}
     * (h, ow), then columns. Area averaging per axis when shrinking, bilinear with half-pixel centres when
     * enlarging; the identity at equal size.
     */
    static void resize(float[] src, int h, int w, int oh, int ow, float[] tmp, float[] dst, int offset) {
        Axis ax = Axis.of(w, ow);
        Axis ay = Axis.of(h, oh);
        // (h, w) -> (h, ow)
        for (int y = 0; y < h; y++) {
            int row = y * w;
            for (int x = 0; x < ow; x++) {
                float s = 0;
                for (int k = ax.start[x], e = ax.start[x + 1], i = ax.first[x]; k < e; k++, i++) {
                    s += ax.weight[k] * src[row + i];
                }
                tmp[y * ow + x] = s;
            }
        }
        // (h, ow) -> (oh, ow)
        for (int y = 0; y < oh; y++) {
            int out = offset + y * ow;
            for (int x = 0; x < ow; x++) {
                dst[out + x] = 0;
            }
            for (int k = ay.start[y], e = ay.start[y + 1], i = ay.first[y]; k < e; k++, i++) {
                float wk = ay.weight[k];
                int in = i * ow;
                for (int x = 0; x < ow; x++) {
                    dst[out + x] += wk * tmp[in + x];
                }
            }
        }
    }

    /**
     * Resampling weights along one axis of n source to m output pixels: output j is the sum over k in
     * [start[j], start[j+1]) of weight[k] * source[first[j] + k - start[j]].
     */
    static final class Axis {
        final int[] first;
        final int[] start;
        final float[] weight;

        private Axis(int[] first, int[] start, float[] weight) {
            this.first = first;
            this.start = start;
            this.weight = weight;
        }

        static Axis of(int n, int m) {
            int[] first = new int[m];
            int[] start = new int[m + 1];
            float[] wbuf = new float[m * (n / m + 3) + 2];
            int k = 0;
            double scale = (double) n / m;
            for (int j = 0; j < m; j++) {
                start[j] = k;
                if (scale >= 1) {
                    double lo = j * scale;
                    double hi = (j + 1) * scale;
                    int i0 = (int) Math.floor(lo);
                    int i1 = Math.min(n, (int) Math.ceil(hi));
                    first[j] = i0;
                    for (int i = i0; i < i1; i++) {
                        double overlap = Math.min(hi, i + 1) - Math.max(lo, i);
                        wbuf[k++] = (float) (overlap / scale);
                    }
                } else {
                    double x = (j + 0.5) * scale - 0.5;
                    int i0 = (int) Math.floor(x);
                    double f = x - i0;
                    if (i0 < 0) {
                        i0 = 0;
                        f = 0;
                    }
                    if (i0 >= n - 1) {
                        i0 = n - 1;
                        f = 0;
                    }
                    first[j] = i0;
                    wbuf[k++] = (float) (1 - f);
                    if (f > 0) {
                        wbuf[k++] = (float) f;
                    }
                }
            }
            start[m] = k;
            return new Axis(first, start, java.util.Arrays.copyOf(wbuf, k));
        }
    }

    /**
     * Rotates a (c, s, s) image by {@code quarter} x 90 degrees counter-clockwise (numpy's {@code rot90}):
     * one quarter maps out[y][x] = in[x][s-1-y].
     */
    static void rotate(float[] src, int srcOff, float[] dst, int dstOff, int c, int s, int quarter) {
        int q = Math.floorMod(quarter, 4);
        int n = s * s;
        for (int ch = 0; ch < c; ch++) {
            int si = srcOff + ch * n;
            int di = dstOff + ch * n;
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    int from = switch (q) {
                        case 0 -> y * s + x;
                        case 1 -> x * s + (s - 1 - y);
                        case 2 -> (s - 1 - y) * s + (s - 1 - x);
                        default -> (s - 1 - x) * s + y;
                    };
                    dst[di + y * s + x] = src[si + from];
                }
            }
        }
    }
}
