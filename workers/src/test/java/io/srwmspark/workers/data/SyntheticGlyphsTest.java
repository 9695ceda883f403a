package io.srwmspark.workers.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.rng.Seeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The synthetic glyph generator: layout, determinism, atomic output, and how hard it is for raw pixels. */
class SyntheticGlyphsTest {

    @TempDir
    Path tmp;

    /** Every file under root, relative, sorted. */
    private static List<String> tree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .sorted().toList();
        }
    }

    @Test
    void writesOmniglotsLayoutThatTheReaderSplits() throws IOException {
        Path out = tmp.resolve("glyphs");
        SyntheticGlyphs.Written w = new SyntheticGlyphs(3).write(out, 45, 3, 0.8, 2);
        assertEquals(List.of(36, 9, 3, 135L), List.of(w.backgroundClasses(), w.evaluationClasses(), w.alphabets(),
                w.images()));
        List<String> files = tree(out);
        assertEquals(135, files.size());
        assertEquals("images_background/alphabet_01/character_01/01.png", files.get(0));
        assertTrue(files.contains("images_background/alphabet_02/character_16/03.png"), "class 35");
        assertTrue(files.contains("images_evaluation/alphabet_03/character_09/02.png"), "class 44");
        assertEquals(Layout.OMNIGLOT, Datasets.detect(out.toString()));
        ClassSplits s = Datasets.read(out.toString(), SplitOptions.defaults());
        assertEquals(45, s.train().numClasses() + s.val().numClasses() + s.test().numClasses());
        ImageSet test = Datasets.load(s.test(), out.toString(), Preprocessing.omniglot(), LoadOptions.defaults());
        test.requireEpisodeable(5, 1, 2);
        assertTrue(w.summary().contains("45 classes x 3 images = 135 PNGs"), w.summary());
        try (Stream<Path> siblings = Files.list(tmp)) {
            assertEquals(List.of(out), siblings.toList(), "no temporary folder left");
        }
    }

    @Test
    void sameSeedSameBytesWhateverTheThreadsAndOtherSeedsDiffer() throws IOException {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        new SyntheticGlyphs(11).write(a, 6, 3, 0.5, 1);
        new SyntheticGlyphs(11).write(b, 6, 3, 0.5, 2);
        List<String> files = tree(a);
        assertEquals(files, tree(b));
        for (String f : files) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
        }
        // Class c's image i depends on (seed, c, i) only, not on how many classes were drawn.
        assertArrayEquals(new SyntheticGlyphs(11).pixels(5, 2), new SyntheticGlyphs(11).pixels(5, 2));
        assertArrayEquals(Files.readAllBytes(a.resolve("images_background/alphabet_01/character_02/01.png")),
                new SyntheticGlyphs(11).png(1, 0));
        assertFalse(java.util.Arrays.equals(new SyntheticGlyphs(11).pixels(1, 0), new SyntheticGlyphs(12).pixels(1, 0)));
        assertFalse(java.util.Arrays.equals(new SyntheticGlyphs(11).pixels(1, 0), new SyntheticGlyphs(11).pixels(1, 1)));
    }

    @Test
    void pngsAreOneBitAndDecodeToThePixels() throws IOException {
        SyntheticGlyphs g = new SyntheticGlyphs(4);
        byte[] png = g.png(3, 1);
        assertEquals(1, png[24], "IHDR bit depth 1");
        assertEquals(0, png[25], "IHDR colour type 0, greyscale");
        java.awt.image.BufferedImage img = Pixels.decode(png);
        assertEquals(List.of(105, 105), List.of(img.getWidth(), img.getHeight()));
        float[][] planes = Pixels.planes(img, false);
        byte[] pixels = g.pixels(3, 1);
        int ink = 0;
        for (int k = 0; k < pixels.length; k++) {
            assertEquals((pixels[k] & 0xFF) / 255f, planes[0][k], "pixel " + k);
            ink += pixels[k] == 0 ? 1 : 0;
        }
        assertTrue(ink > 200 && ink < 105 * 105 / 2, "ink pixels: " + ink);
    }

    @Test
    void refusesANonEmptyOutputAndLeavesItAlone() throws IOException {
        Path out = tmp.resolve("full");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> new SyntheticGlyphs(1).write(out, 2, 2, 0.8, 1));
        assertTrue(ex.getMessage().contains("not empty"), ex.getMessage());
        assertEquals(List.of("keep.txt"), tree(out));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        new SyntheticGlyphs(1).write(empty, 2, 2, 0.8, 1);
        assertEquals(4, tree(empty).size());
        assertThrows(IllegalArgumentException.class, () -> new SyntheticGlyphs(1).write(tmp.resolve("x"), 0, 2, 0.8, 1));
        assertThrows(IllegalArgumentException.class, () -> new SyntheticGlyphs(1).write(tmp.resolve("x"), 2, 2, 1.5, 1));
    }

    /**
     * Raw-pixel nearest neighbour (Euclidean, 28x28 as the paper preprocesses Omniglot) on 5-way 1-shot episodes of
     * 200 generated classes: the task must be neither trivial nor impossible. Measured: 0.586 (docs/data.md).
     */
    @Test
    void rawPixelNearestNeighbourFiveWayOneShotIsInTheBand() {
        int classes = 200;
        int per = 10;
        SyntheticGlyphs g = new SyntheticGlyphs(2022);
        Preprocessing p = Preprocessing.omniglot();
        float[][] x = new float[classes * per][];
        IntStream.range(0, classes * per).parallel().forEach(k -> {
            float[] d = new float[p.imageSize()];
            p.apply(g.image(k / per, k % per), d, 0);
            x[k] = d;
        });
        SplittableRandom rng = new SplittableRandom(Seeds.derive(2022, 1));
        int correct = 0;
        int total = 0;
        for (int e = 0; e < 2000; e++) {
            int[] cls = rng.ints(0, classes).distinct().limit(5).toArray();
            int[] support = new int[5];
            for (int j = 0; j < 5; j++) {
                support[j] = cls[j] * per + rng.nextInt(per);
            }
            for (int j = 0; j < 5; j++) {
                int q = cls[j] * per + (support[j] % per + 1 + rng.nextInt(per - 1)) % per;
                int best = 0;
                double bestDist = Double.MAX_VALUE;
                for (int s = 0; s < 5; s++) {
                    double dist = 0;
                    for (int k = 0; k < x[q].length; k++) {
                        double t = x[q][k] - x[support[s]][k];
                        dist += t * t;
                    }
                    if (dist < bestDist) {
                        bestDist = dist;
                        best = s;
                    }
                }
                correct += best == j ? 1 : 0;
                total++;
            }
        }
        double accuracy = (double) correct / total;
        assertTrue(accuracy >= 0.35 && accuracy <= 0.75, "raw-pixel 1-NN 5-way 1-shot accuracy " + accuracy);
        // Rendering and preprocessing are exact Java arithmetic: the figure is the same on every machine.
        assertEquals(0.586, accuracy, 0.0005, "the figure docs/data.md reports");
    }
}
