package io.srwmspark.workers.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Layout detection, the three readers and their splits, split files, and the Hadoop FileSystem path. */
class DatasetReadersTest {

    @TempDir
    Path tmp;

    private static List<String> names(ClassList list) {
        return list.classes().stream().map(ImageClass::name).toList();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"OMNIGLOT", "MINI_IMAGENET", "CLASS_FOLDERS"})
    void detectsEachLayoutLocallyAndThroughHadoop(String layout) throws IOException {
        Path root = tmp.resolve("d");
        switch (Layout.valueOf(layout)) {
            case OMNIGLOT -> TestImages.omniglot(root, 1, 1, 2, 1);
            case MINI_IMAGENET -> TestImages.miniImageNet(root, List.of(List.of("n01"), List.of("n02"), List.of()), 1);
            case CLASS_FOLDERS -> TestImages.classFolders(root, 2, 1);
        }
        assertEquals(Layout.valueOf(layout), Datasets.detect(root.toString()));
        assertEquals(Layout.valueOf(layout), Datasets.detect(root.toUri().toString()));
    }

    @Test
    void detectWithoutKnownLayoutSaysWhatItExpectedAndFound() throws IOException {
        Files.createDirectories(tmp.resolve("d/notes"));
        Files.writeString(tmp.resolve("d/readme.txt"), "hello");
        Files.writeString(tmp.resolve("d/notes/a.txt"), "hello");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Datasets.detect(tmp.resolve("d").toString()));
        assertTrue(ex.getMessage().contains("no known dataset layout") && ex.getMessage().contains("images_background")
                && ex.getMessage().contains("notes/") && ex.getMessage().contains("readme.txt"), ex.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Datasets.detect(tmp.resolve("nope").toString()));
        assertTrue(missing.getMessage().contains("nope") && missing.getMessage().contains("does not exist"),
                missing.getMessage());
    }

    @Test
    void omniglotClassesAreCharactersSortedBackgroundFirst() throws IOException {
        Path root = TestImages.omniglot(tmp.resolve("omni"), 2, 1, 3, 2);
        List<ImageClass> all = OmniglotReader.classes(DataStore.open(root.toString()));
        assertEquals(9, all.size());
        assertEquals("images_background/Alphabet_Ab/character01", all.get(0).name());
        assertEquals("images_evaluation/Alphabet_Ae/character03", all.get(8).name());
        assertEquals(List.of("images_background/Alphabet_Ab/character01/0000_01.png",
                "images_background/Alphabet_Ab/character01/0000_02.png"), all.get(0).files());
    }

    @Test
    void omniglotDefaultSplitIsThePapersOnA1623CharacterTree() throws IOException {
        // 1623 characters of one (unreadable, never decoded) file each: splitting only lists folders.
        Path root = tmp.resolve("omni");
        for (int c = 0; c < 1623; c++) {
            String folder = c < 964 ? OmniglotReader.BACKGROUND : OmniglotReader.EVALUATION;
            Path dir = root.resolve(folder).resolve(String.format("alpha%02d", c / 40))
                    .resolve(String.format("character%02d", c % 40 + 1));
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("a.png"), "x");
        }
        ClassSplits s = Datasets.read(root.toString(), SplitOptions.defaults());
        assertEquals(Layout.OMNIGLOT, s.layout());
        assertEquals(List.of(1028, 172, 423, 0), List.of(s.train().numClasses(), s.val().numClasses(),
                s.test().numClasses(), s.unusedClasses()));
        assertTrue(names(s.train()).get(963).startsWith(OmniglotReader.BACKGROUND));
        assertTrue(names(s.train()).get(964).startsWith(OmniglotReader.EVALUATION));
        assertEquals(s, Datasets.read(root.toString(), SplitOptions.defaults().withSeed(99)), "deterministic, seedless");
    }

    @ParameterizedTest(name = "{0} characters -> {1}/{2}/{3}")
    @CsvSource({"1623,1028,172,423", "100,63,11,26", "10,6,1,3", "1,1,0,0"})
    void splitSizesScaleInProportion(int n, int train, int val, int test) {
        assertEquals(new SplitSizes(train, val, test), SplitSizes.OMNIGLOT.scaledTo(n));
    }

    @Test
    void omniglotExplicitSizesLeaveTheRestUnusedAndRefuseTooMany() throws IOException {
        Path root = TestImages.omniglot(tmp.resolve("omni"), 2, 1, 3, 1);
        ClassSplits s = Datasets.read(root.toString(), SplitOptions.defaults().withSizes(new SplitSizes(4, 1, 2)));
        assertEquals(List.of(4, 1, 2, 2), List.of(s.train().numClasses(), s.val().numClasses(), s.test().numClasses(),
                s.unusedClasses()));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Datasets.read(root.toString(),
                SplitOptions.defaults().withSizes(new SplitSizes(8, 1, 1))));
        assertTrue(ex.getMessage().contains("9 characters") && ex.getMessage().contains("8/1/1"), ex.getMessage());
    }

    @Test
    void splitFileAssignsListedClassesByFullNameOrUniqueTail() throws IOException {
        Path root = TestImages.omniglot(tmp.resolve("omni"), 2, 1, 2, 1);
        Path file = tmp.resolve("split.txt");
        Files.writeString(file, "# my split\n\ntrain images_background/Alphabet_Ab/character02\n"
                + "train Alphabet_Bb/character01\nval   Alphabet_Ae/character02\r\ntest images_evaluation/Alphabet_Ae/character01\n");
        ClassSplits s = Datasets.read(root.toString(), SplitOptions.defaults().withSplitFile(file.toString()));
        assertEquals(List.of("images_background/Alphabet_Ab/character02", "images_background/Alphabet_Bb/character01"),
                names(s.train()), "reader order kept");
        assertEquals(List.of("images_evaluation/Alphabet_Ae/character02"), names(s.val()));
        assertEquals(List.of("images_evaluation/Alphabet_Ae/character01"), names(s.test()));
        assertEquals(2, s.unusedClasses());
        // Also through a file:// URI.
        assertEquals(s, Datasets.read(root.toString(), SplitOptions.defaults().withSplitFile(file.toUri().toString())));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "train images_background/Alphabet_Ab/character09|split.txt:1: class 'images_background/Alphabet_Ab/character09' is not in",
        "train character01|is ambiguous",
        "train Alphabet_Ab/character01\\nval Alphabet_Ab/character01|split.txt:2: class 'images_background/Alphabet_Ab/character01' is listed twice",
        "tran Alphabet_Ab/character01|split.txt:1: split 'tran' is not train, val or test",
        "test|split.txt:1: no class name after 'test'",
        "\\n# nothing|lists no class"})
    void badSplitFilesNameTheLineAndProblem(String content, String expected) throws IOException {
        Path root = TestImages.omniglot(tmp.resolve("omni"), 2, 1, 2, 1);
        Path file = tmp.resolve("split.txt");
        Files.writeString(file, content.replace("\\n", "\n"));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Datasets.read(root.toString(), SplitOptions.defaults().withSplitFile(file.toString())));
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }

    @Test
    void miniImageNetSplitsComeFromItsCsvs() throws IOException {
        Path root = TestImages.miniImageNet(tmp.resolve("mini"),
                List.of(List.of("n03", "n01"), List.of("n05"), List.of("n07", "n06")), 3);
        ClassSplits s = Datasets.read(root.toString(), SplitOptions.defaults());
        assertEquals(Layout.MINI_IMAGENET, s.layout());
        assertEquals(List.of("n01", "n03"), names(s.train()), "labels sorted");
        assertEquals(List.of("n05"), names(s.val()));
        assertEquals(List.of("n06", "n07"), names(s.test()));
        assertEquals(List.of("images/n0100000000.jpg", "images/n0100000001.jpg", "images/n0100000002.jpg"),
                s.train().classes().get(0).files());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Datasets.read(root.toString(),
                SplitOptions.defaults().withSizes(new SplitSizes(1, 1, 1))));
        assertTrue(ex.getMessage().contains("train.csv"), ex.getMessage());
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "file,class\\na.jpg,n01|val.csv:1: header must be 'filename,label', got 'file,class'",
        "filename,label\\na.jpg|val.csv:2: expected 'filename,label', got 'a.jpg'",
        "filename,label\\na.jpg,n01,extra|val.csv:2: expected 'filename,label'",
        "filename,label\\nb.jpg,n01|is in both"})
    void badMiniImageNetCsvsNameFileAndLine(String csv, String expected) throws IOException {
        Path root = TestImages.miniImageNet(tmp.resolve("mini"), List.of(List.of("n01"), List.of(), List.of()), 1);
        Files.writeString(root.resolve("val.csv"), csv.replace("\\n", "\n"));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Datasets.read(root.toString(), SplitOptions.defaults()));
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }

    @Test
    void classFolderSplitIsSeededDisjointAndSortedWithinSplits() throws IOException {
        Path root = TestImages.classFolders(tmp.resolve("cf"), 12, 2);
        Files.createDirectories(root.resolve("empty_folder"));
        SplitOptions opts = SplitOptions.defaults().withSizes(new SplitSizes(6, 2, 3)).withSeed(5);
        ClassSplits a = Datasets.read(root.toString(), opts);
        assertEquals(a, Datasets.read(root.toString(), opts), "same seed, same split");
        assertEquals(List.of(6, 2, 3, 1), List.of(a.train().numClasses(), a.val().numClasses(), a.test().numClasses(),
                a.unusedClasses()));
        Set<String> seen = new HashSet<>();
        for (ClassList l : List.of(a.train(), a.val(), a.test())) {
            List<String> n = names(l);
            List<String> sorted = new ArrayList<>(n);
            sorted.sort(null);
            assertEquals(sorted, n);
            for (String c : n) {
                assertTrue(seen.add(c), "in two splits: " + c);
            }
        }
        assertTrue(!seen.contains("empty_folder"));
        assertEquals(List.of("class_00/img0.png", "class_00/img1.JPG"),
                Datasets.read(root.toString(), SplitOptions.defaults().withSizes(new SplitSizes(12, 0, 0)))
                        .train().classes().get(0).files());
        boolean differs = false;
        for (long seed = 6; seed < 10 && !differs; seed++) {
            differs = !Datasets.read(root.toString(), opts.withSeed(seed)).train().equals(a.train());
        }
        assertTrue(differs, "other seeds give other splits");
        ClassSplits d = Datasets.read(root.toString(), SplitOptions.defaults());
        assertEquals(new SplitSizes(8, 2, 2), new SplitSizes(d.train().numClasses(), d.val().numClasses(),
                d.test().numClasses()), "default 64/16/20 proportions");
    }

    @Test
    void requireEpisodeableNamesSplitClassAndNumbers() throws IOException {
        Path root = TestImages.omniglot(tmp.resolve("omni"), 1, 0, 4, 3);
        Files.delete(root.resolve("images_background/Alphabet_Ab/character02/0001_01.png"));
        ClassList all = Datasets.read(root.toString(), SplitOptions.defaults().withSizes(new SplitSizes(4, 0, 0)))
                .train();
        all.requireEpisodeable(4, 1, 1);
        IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                () -> all.requireEpisodeable(5, 1, 1));
        assertEquals("split 'train' has 4 classes, fewer than the 5 ways of an episode", few.getMessage());
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> all.requireEpisodeable(3, 1, 2));
        assertEquals("split 'train': class 'images_background/Alphabet_Ab/character02' has 2 images, fewer than"
                + " shots + queries = 1 + 2 = 3", small.getMessage());
        assertThrows(IllegalArgumentException.class, () -> all.requireEpisodeable(0, 1, 1));
    }

    @Test
    void hadoopFileUriReadsAndLoadsTheSameAsALocalPath() throws IOException {
        Path root = TestImages.classFolders(tmp.resolve("cf"), 4, 3);
        String uri = root.toUri().toString();
        assertTrue(uri.startsWith("file:/"), uri);
        DataStore store = DataStore.open(uri);
        assertNotEquals(DataStore.open(root.toString()).getClass(), store.getClass());
        ClassSplits viaHadoop = Datasets.read(uri, SplitOptions.defaults().withSizes(new SplitSizes(4, 0, 0)));
        ClassSplits local = Datasets.read(root.toString(), SplitOptions.defaults().withSizes(new SplitSizes(4, 0, 0)));
        assertEquals(local.train(), viaHadoop.train());
        LoadOptions opts = LoadOptions.defaults().withThreads(2);
        ImageSet a = Datasets.load(viaHadoop.train(), uri, Preprocessing.omniglot(), opts);
        ImageSet b = Datasets.load(local.train(), root.toString(), Preprocessing.omniglot(), opts);
        assertEquals(b.data(), a.data());
        assertEquals(b.report().fileBytes(), a.report().fileBytes());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> DataStore.open(tmp.resolve("nope").toUri().toString()));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }
}
