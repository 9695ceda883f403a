package io.srwmspark.workers.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Decoding, preprocessing (resize, colour, rotations, normalization), the loaded layout, and bad images. */
class ImageLoadingTest {

    private static final float TOL = 1e-6f;

    @TempDir
    Path tmp;

    /** The image through PNG (lossless) bytes, decoding and preprocessing. */
    private static float[] preprocess(BufferedImage img, Preprocessing p) throws IOException {
        float[] out = new float[p.imageSize()];
        p.apply(Pixels.decode(TestImages.encode(img, "png")), out, 0);
        return out;
    }

    private static Preprocessing grey(int h, int w) {
        return new Preprocessing(1, h, w, false, List.of(), List.of());
    }

    @Test
    void areaDownsamplingAveragesBlocksExactly() throws IOException {
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        int[] v = {0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150};
        img.getRaster().setPixels(0, 0, 4, 4, v);
        float[] out = preprocess(img, grey(2, 2));
        float[] expected = {(0 + 10 + 40 + 50) / 4f / 255, (20 + 30 + 60 + 70) / 4f / 255,
            (80 + 90 + 120 + 130) / 4f / 255, (100 + 110 + 140 + 150) / 4f / 255};
        assertArrayEquals(expected, out, TOL);
    }

    @Test
    void omniglotSizeKeepsAConstantImageConstantAndBilinearEnlarges() throws IOException {
        BufferedImage flat = new BufferedImage(105, 105, BufferedImage.TYPE_BYTE_GRAY);
        int[] v = new int[105 * 105];
        Arrays.fill(v, 51);
        flat.getRaster().setPixels(0, 0, 105, 105, v);
        for (float x : preprocess(flat, Preprocessing.omniglot())) {
            assertEquals(0.2f, x, TOL);
        }
        BufferedImage two = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        two.getRaster().setPixels(0, 0, 2, 1, new int[] {0, 255});
        assertArrayEquals(new float[] {0f, 0.25f, 0.75f, 1f}, preprocess(two, grey(1, 4)), TOL);
    }

    @Test
    void colourBecomesLumaOrStaysRgbAndMiniImageNetIsNormalized() throws IOException {
        BufferedImage img = TestImages.rgb(3, 3, 255, 0, 102);
        float[] g = preprocess(img, grey(3, 3));
        assertEquals(0.299f + 0.114f * 0.4f, g[4], TOL);
        float[] rgb = preprocess(img, Preprocessing.miniImageNet().withSize(3, 3));
        assertEquals((1 - 0.485f) / 0.229f, rgb[0], 1e-5f);
        assertEquals((0 - 0.456f) / 0.224f, rgb[9], 1e-5f);
        assertEquals((0.4f - 0.406f) / 0.225f, rgb[18], 1e-5f);
        float[] rep = preprocess(TestImages.grey(5, 5, 3), Preprocessing.omniglotRgb84().withSize(5, 5));
        assertArrayEquals(Arrays.copyOfRange(rep, 0, 25), Arrays.copyOfRange(rep, 25, 50));
        assertArrayEquals(Arrays.copyOfRange(rep, 0, 25), Arrays.copyOfRange(rep, 50, 75));
    }

    @Test
    void binaryPaletteSixteenBitAlphaAndInversion() throws IOException {
        // Omniglot's originals are 1-bit PNGs: black strokes (0) on white (1).
        IndexColorModel bw = new IndexColorModel(1, 2, new byte[] {0, -1}, new byte[] {0, -1}, new byte[] {0, -1});
        BufferedImage binary = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_BINARY, bw);
        binary.getRaster().setPixels(0, 0, 2, 2, new int[] {0, 1, 1, 0});
        assertArrayEquals(new float[] {0, 1, 1, 0}, preprocess(binary, grey(2, 2)), TOL);
        assertArrayEquals(new float[] {1, 0, 0, 1}, preprocess(binary, grey(2, 2).withInvert(true)), TOL);
        BufferedImage deep = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        deep.getRaster().setPixels(0, 0, 2, 1, new int[] {65535, 13107});
        assertArrayEquals(new float[] {1f, 0.2f}, preprocess(deep, grey(1, 2)), TOL);
        BufferedImage alpha = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        alpha.setRGB(0, 0, 0x00000000);
        alpha.setRGB(1, 0, 0xFF000000);
        assertArrayEquals(new float[] {1f, 0f}, preprocess(alpha, grey(1, 2)), TOL, "transparent is white paper");
        float[] norm = preprocess(binary, grey(2, 2).withNormalization(List.of(Preprocessing.OMNIGLOT_MEAN),
                List.of(Preprocessing.OMNIGLOT_STD)));
        assertEquals((0 - 0.922f) / 0.084f, norm[0], 1e-5f);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "2,28,28,0|channels must be 1 or 3, got 2",
        "1,0,28,0|size must be 1..4096 per side, got 0x28",
        "1,28,28,2|needs 1 means and 1 stds (or none), got 2 and 2",
        "3,28,28,-1|std must be finite and > 0"})
    void badPreprocessingIsRefused(String spec, String expected) {
        int[] a = Arrays.stream(spec.split(",")).mapToInt(Integer::parseInt).toArray();
        List<Double> mean = a[3] == 2 ? List.of(0.5, 0.5) : a[3] == -1 ? List.of(0.1, 0.1, 0.1) : List.of();
        List<Double> std = a[3] == 2 ? List.of(1.0, 1.0) : a[3] == -1 ? List.of(0.1, 0.0, 0.1) : List.of();
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> new Preprocessing(a[0], a[1], a[2], false, mean, std));
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }

    @Test
    void omniglotLoadsToShapesInRangeWithRotationsAsExtraClasses() throws IOException {
        Path root = TestImages.omniglot(tmp.resolve("omni"), 1, 1, 3, 4);
        ClassSplits s = Datasets.read(root.toString(), SplitOptions.defaults().withSizes(new SplitSizes(6, 0, 0)));
        LoadOptions opts = LoadOptions.defaults().withThreads(2);
        ImageSet plain = Datasets.load(s.train(), root.toString(), Preprocessing.omniglot(), opts);
        assertEquals(List.of(6, 24, 784), List.of(plain.numClasses(), plain.numImages(), plain.imageSize()));
        assertEquals(24 * 784, plain.data().remaining());
        FloatBuffer all = plain.data();
        for (int k = 0; k < all.remaining(); k++) {
            assertTrue(all.get(k) >= 0 && all.get(k) <= 1, "value in [0, 1]: " + all.get(k));
        }
        ImageSet rot = Datasets.load(s.train(), root.toString(), Preprocessing.omniglot(), opts.withRotations(true));
        assertEquals(List.of(24, 96), List.of(rot.numClasses(), rot.numImages()));
        assertEquals(s.train().classes().get(1).name() + "@rot90", rot.classNames().get(5));
        assertEquals(s.train().classes().get(1).name() + "@rot270", rot.classNames().get(7));
        float[] base = new float[784];
        float[] r90 = new float[784];
        float[] r180 = new float[784];
        rot.copyImage(4, 2, base, 0);
        rot.copyImage(5, 2, r90, 0);
        rot.copyImage(6, 2, r180, 0);
        float[] plainImage = new float[784];
        plain.copyImage(1, 2, plainImage, 0);
        assertArrayEquals(plainImage, base);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                assertEquals(base[x * 28 + (27 - y)], r90[y * 28 + x], "rot90 at " + y + "," + x);
                assertEquals(base[(27 - y) * 28 + (27 - x)], r180[y * 28 + x], "rot180 at " + y + "," + x);
            }
        }
        assertEquals(4L * (96 * 784 + 25), rot.bytes());
        assertTrue(rot.report().summary().contains("24 files -> 96 images, 24 classes"), rot.report().summary());
        ImageSet one = Datasets.load(s.train(), root.toString(), Preprocessing.omniglot(), opts.withThreads(1));
        assertEquals(plain.data(), one.data(), "threads do not change the result");
    }

    @Test
    void miniImageNetJpegsLoadAsNormalizedRgb84() throws IOException {
        Path root = TestImages.miniImageNet(tmp.resolve("mini"), List.of(List.of("n01", "n02"), List.of(), List.of()),
                2);
        ClassSplits s = Datasets.read(root.toString(), SplitOptions.defaults());
        ImageSet train = Datasets.load(s.train(), root.toString(), Datasets.defaultPreprocessing(s.layout()),
                LoadOptions.defaults());
        assertEquals(List.of(2, 4, 3, 84, 84), List.of(train.numClasses(), train.numImages(), train.channels(),
                train.height(), train.width()));
        float[] img = new float[train.imageSize()];
        train.copyImage(1, 0, img, 0);
        // Class n02 is colour (40, 100, 200), JPEG-rounded by a level or two.
        assertEquals((40 / 255f - 0.485f) / 0.229f, img[0], 0.05f);
        assertEquals((100 / 255f - 0.456f) / 0.224f, img[84 * 84], 0.05f);
        assertEquals((200 / 255f - 0.406f) / 0.225f, img[2 * 84 * 84 + 500], 0.05f);
    }

    /** Bad contents of one file, by kind. */
    private static byte[] bad(String kind) {
        byte[] png = TestImages.encode(TestImages.grey(105, 105, 1), "png");
        byte[] jpg = TestImages.encode(TestImages.rgb(64, 64, 10, 20, 30), "jpg");
        return switch (kind) {
            case "garbage" -> "this is not an image".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            case "truncated-png" -> Arrays.copyOf(png, png.length / 2);
            case "truncated-jpeg" -> Arrays.copyOf(jpg, jpg.length / 2);
            case "empty" -> new byte[0];
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"garbage", "truncated-png", "truncated-jpeg", "empty"})
    void aCorruptImageIsAnErrorNamingTheFileOrIsSkippedAndCounted(String kind) throws IOException {
        Path root = TestImages.classFolders(tmp.resolve("cf"), 3, 4);
        Path broken = root.resolve("class_01/img2.png");
        Files.write(broken, bad(kind));
        ClassSplits s = Datasets.read(root.toString(), SplitOptions.defaults().withSizes(new SplitSizes(3, 0, 0)));
        LoadOptions opts = LoadOptions.defaults().withThreads(2);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Datasets.load(s.train(), root.toString(), Preprocessing.omniglot(), opts));
        assertTrue(ex.getMessage().contains(broken.toString()) && ex.getMessage().contains("cannot decode image"),
                ex.getMessage());
        ImageSet set = Datasets.load(s.train(), root.toString(), Preprocessing.omniglot(),
                opts.withSkipUnreadable(true).withRotations(true));
        assertEquals(1, set.report().skipped());
        assertTrue(set.report().skippedFiles().get(0).contains(broken.toString()));
        assertEquals(List.of(4, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4), java.util.stream.IntStream.range(0, 12)
                .map(set::classSize).boxed().toList());
        assertEquals(44, set.numImages());
        assertEquals(44 * 784, set.data().remaining());
        // The images after the gap are the right ones: class_02 equals a load of class_02 alone.
        ImageSet only = Datasets.load(new ClassList("x", List.of(s.train().classes().get(2))), root.toString(),
                Preprocessing.omniglot(), opts.withRotations(true));
        for (int q = 0; q < 4; q++) {
            for (int i = 0; i < 4; i++) {
                assertEquals(only.image(q, i), set.image(8 + q, i));
            }
        }
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> set.requireEpisodeable(5, 1, 3));
        assertEquals("split 'train': class 'class_01' has 3 images, fewer than shots + queries = 1 + 3 = 4"
                + " (4 classes are too small)", small.getMessage());
        assertTrue(set.report().summary().contains("1 unreadable files skipped"), set.report().summary());
    }

    @Test
    void aMissingFileIsAnErrorNamingIt() throws IOException {
        Path root = TestImages.classFolders(tmp.resolve("cf"), 2, 2);
        ClassSplits s = Datasets.read(root.toString(), SplitOptions.defaults().withSizes(new SplitSizes(2, 0, 0)));
        Files.delete(root.resolve("class_00/img1.JPG"));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Datasets.load(s.train(), root.toString(), Preprocessing.omniglot(), LoadOptions.defaults()));
        assertTrue(ex.getMessage().contains("cannot read image") && ex.getMessage().contains("img1.JPG"),
                ex.getMessage());
    }

    @Test
    void rotationsNeedSquareImages() {
        ClassList none = new ClassList("train", List.of());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ImageSetLoader.load(
                DataStore.open(tmp.toString()), none, grey(28, 30), LoadOptions.defaults().withRotations(true)));
        assertTrue(ex.getMessage().contains("square"), ex.getMessage());
    }
}
