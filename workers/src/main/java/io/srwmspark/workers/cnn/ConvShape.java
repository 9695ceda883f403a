package io.srwmspark.workers.cnn;

/**
 * Geometry of one convolution (stride 1, "same" output size) on channel-last (NHWC) Java arrays, and the
 * offset tables that turn its three passes into the one product of {@code ConvTilesF64}.
 *
 * <p>Layouts, per image (n images follow each other):
 * <ul>
 *   <li>input x: (H+2, W+2, cis), a zero border of one pixel (a 1x1 convolution reads the centre only);
 *       channels [cin, cis) are zero (cis = cin for the network input, else the previous layer's cop);</li>
 *   <li>output z: (H, W, cop), cop = cout rounded up to the SIMD lane count; channels [cout, cop) hold 0;</li>
 *   <li>output gradient dz: (H+2, W+2, cop), zero border, so the input gradient is again a convolution;</li>
 *   <li>input gradient dx: (H, W, cis).</li>
 * </ul>
 * Weights, PyTorch layout w[co][ci][kh][kw], become the matrices
 * <pre>
 *   wt (taps cin, cop):  wt[(t cin + ci) cop + co]  = w[co][ci][kh_t][kw_t]           forward and dW
 *   wf (taps cout, cis): wf[(t cout + co) cis + ci] = w[co][ci][kh_t][kw_t]   dx; tap t read at (2-kh_t, 2-kw_t)
 * </pre>
 * with tap t = (kh_t, kw_t) in 3x3 window coordinates ((1,1) alone for a 1x1 kernel). Then, for pixel p and
 * row k = t cin + ci:
 * <pre>
 *   z[p]  += sum_k x[pixIn[p] + tapIn[k]] wt[k]                                        rows p, i = k
 *   dW[k] += sum_p x[pixIn[p] + tapIn[k]] dz[pixDz[p] + centre]                       rows k, i = p
 *   dx[p] += sum_{k'} dz[pixDz[p] + tapDz[k']] wf[k']                                  rows p, i = k'
 * </pre>
 * Pixel offsets cover one chunk of {@link #chunk} images and are relative to the chunk's first image.
 */
final class ConvShape {

    /** Pixels per chunk aimed at: the chunk's output gradient (pixels x 64 channels) stays in L2 for dW. */
    static final int CHUNK_PIXELS = 1024;

    final int h;
    final int w;
    final int cin;
    final int cis;
    final int cout;
    final int cop;
    final int kernel;
    final int taps;
    final int lanes;
    /** Images per chunk, a function of the geometry only (never of the thread count). */
    final int chunk;
    final int inImage;
    final int outImage;
    final int dzImage;
    final int pixels;
    final int dzCentre;
    final int[] tapKh;
    final int[] tapKw;
    final int[] tapIn;
    final int[] tapDz;
    final int[] rowWt;
    final int[] rowWf;
    final int[] pixIn;
    final int[] pixDz;
    final int[] pixDzCentre;

    /**
     * @param h      height (input and output)
     * @param w      width
     * @param cin    input channels
     * @param cis    channel stride of the input layout, &gt;= cin
     * @param cout   output channels
     * @param kernel 3 (padding 1) or 1
     * @param lanes  SIMD lanes of the element type
     */
    ConvShape(int h, int w, int cin, int cis, int cout, int kernel, int lanes) {
        if (h < 1 || w < 1 || cin < 1 || cis < cin || cout < 1 || (kernel != 1 && kernel != 3) || lanes < 1) {
            throw new IllegalArgumentException("bad convolution geometry: " + h + "x" + w + ", cin " + cin + " (stride "
                    + cis + "), cout " + cout + ", kernel " + kernel);
        }
        this.h = h;
        this.w = w;
        this.cin = cin;
        this.cis = cis;
        this.cout = cout;
        this.cop = roundUp(cout, lanes);
        this.kernel = kernel;
        this.taps = kernel * kernel;
        this.lanes = lanes;
        this.pixels = h * w;
        this.chunk = Math.max(1, (CHUNK_PIXELS + pixels - 1) / pixels);
        int wp = w + 2;
        this.inImage = (h + 2) * wp * cis;
        this.outImage = pixels * cop;
        this.dzImage = (h + 2) * wp * cop;
        this.dzCentre = (wp + 1) * cop;
        this.tapKh = new int[taps];
        this.tapKw = new int[taps];
        for (int t = 0; t < taps; t++) {
            tapKh[t] = kernel == 1 ? 1 : t / 3;
            tapKw[t] = kernel == 1 ? 1 : t % 3;
        }
        this.tapIn = new int[taps * cin];
        this.rowWt = new int[taps * cin];
        for (int t = 0; t < taps; t++) {
            for (int ci = 0; ci < cin; ci++) {
                tapIn[t * cin + ci] = (tapKh[t] * wp + tapKw[t]) * cis + ci;
                rowWt[t * cin + ci] = (t * cin + ci) * cop;
            }
        }
        this.tapDz = new int[taps * cout];
        this.rowWf = new int[taps * cout];
        for (int t = 0; t < taps; t++) {
            for (int co = 0; co < cout; co++) {
                tapDz[t * cout + co] = ((2 - tapKh[t]) * wp + (2 - tapKw[t])) * cop + co;
                rowWf[t * cout + co] = (t * cout + co) * cis;
            }
        }
        this.pixIn = new int[chunk * pixels];
        this.pixDz = new int[chunk * pixels];
        this.pixDzCentre = new int[chunk * pixels];
        for (int j = 0; j < chunk; j++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = (j * h + y) * w + x;
                    pixIn[p] = j * inImage + (y * wp + x) * cis;
                    pixDz[p] = j * dzImage + (y * wp + x) * cop;
                    pixDzCentre[p] = pixDz[p] + dzCentre;
                }
            }
        }
    }

    /** Length of an array of n images of {@code perImage} values; fails clearly beyond a Java array. */
    static int length(int n, int perImage) {
        long len = (long) n * perImage;
        if (len > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("a batch of " + n + " images needs arrays of " + len
                    + " values, more than a Java array holds; split the batch into several calls");
        }
        return (int) len;
    }

    static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    /** Rows of wt: taps x input channels. */
    int kRows() {
        return taps * cin;
    }

    /** Chunks of {@link #chunk} images covering n images (the last may be shorter). */
    int chunks(int n) {
        return (n + chunk - 1) / chunk;
    }

    /** Flat index of w[co][ci][kh][kw] in the PyTorch-layout weight of this convolution. */
    int torchIndex(int co, int ci, int t) {
        int k = kernel;
        return ((co * cin + ci) * k + (kernel == 1 ? 0 : tapKh[t])) * k + (kernel == 1 ? 0 : tapKw[t]);
    }
}
