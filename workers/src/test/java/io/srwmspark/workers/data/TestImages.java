package io.srwmspark.workers.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Small image trees written with ImageIO for the data tests. */
final class TestImages {

    private TestImages() {
    }

    /** A grey image whose pixel (x, y) is {@code (seed * 37 + x * 7 + y * 13) % 256}: distinct per seed. */
    static BufferedImage grey(int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, (seed * 37 + x * 7 + y * 13) % 256);
            }
        }
        return img;
    }

    /** An RGB image of one colour. */
    static BufferedImage rgb(int w, int h, int r, int g, int b) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    static byte[] encode(BufferedImage img, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    static void write(Path file, BufferedImage img) throws IOException {
        Files.createDirectories(file.getParent());
        String name = file.getFileName().toString();
        Files.write(file, encode(img, name.endsWith(".png") ? "png" : "jpg"));
    }

    /**
     * An Omniglot tree: {@code images_background} with {@code bgAlphabets} alphabets and {@code images_evaluation}
     * with {@code evAlphabets}, each alphabet {@code characters} characters of {@code perClass} 105x105 PNGs.
     */
    static Path omniglot(Path root, int bgAlphabets, int evAlphabets, int characters, int perClass)
            throws IOException {
        int seed = 0;
        for (String folder : List.of(OmniglotReader.BACKGROUND, OmniglotReader.EVALUATION)) {
            int alphabets = folder.equals(OmniglotReader.BACKGROUND) ? bgAlphabets : evAlphabets;
            for (int a = 0; a < alphabets; a++) {
                for (int c = 1; c <= characters; c++) {
                    Path dir = root.resolve(folder).resolve("Alphabet_" + (char) ('A' + a) + folder.charAt(7))
                            .resolve(String.format("character%02d", c));
                    for (int i = 1; i <= perClass; i++) {
                        write(dir.resolve(String.format("%04d_%02d.png", seed, i)), grey(105, 105, seed * 31 + i));
                    }
                    seed++;
                }
            }
        }
        return root;
    }

    /** A Mini-ImageNet tree: {@code images/} and a CSV per split with the given labels, {@code perClass} JPEGs each. */
    static Path miniImageNet(Path root, List<List<String>> labelsPerSplit, int perClass) throws IOException {
        Files.createDirectories(root.resolve("images"));
        int colour = 0;
        for (int s = 0; s < 3; s++) {
            StringBuilder csv = new StringBuilder("filename,label\n");
            for (String label : labelsPerSplit.get(s)) {
                for (int i = 0; i < perClass; i++) {
                    String f = label + String.format("%08d", i) + ".jpg";
                    write(root.resolve("images").resolve(f), rgb(84, 84, 40 * colour % 256, 100, 200));
                    csv.append(f).append(',').append(label).append('\n');
                }
                colour++;
            }
            Files.writeString(root.resolve(MiniImageNetReader.CSVS.get(s)), csv.toString());
        }
        return root;
    }

    /** A class-folder tree: class_00 ... with {@code perClass} images each, alternating PNG and JPEG. */
    static Path classFolders(Path root, int classes, int perClass) throws IOException {
        for (int c = 0; c < classes; c++) {
            for (int i = 0; i < perClass; i++) {
                String ext = i % 2 == 0 ? ".png" : ".JPG";
                write(root.resolve(String.format("class_%02d", c)).resolve("img" + i + ext), grey(32, 24, c * 10 + i));
            }
        }
        return root;
    }
}
