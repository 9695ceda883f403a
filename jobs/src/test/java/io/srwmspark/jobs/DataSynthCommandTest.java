package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.jobs.ReferenceCheckCommandTest.Run;
import io.srwmspark.workers.data.ClassSplits;
import io.srwmspark.workers.data.Datasets;
import io.srwmspark.workers.data.Layout;
import io.srwmspark.workers.data.SplitOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DataSynthCommandTest {

    @TempDir
    Path tmp;

    @Test
    void writesAnOmniglotTreeAndSaysWhat() throws IOException {
        Path out = tmp.resolve("glyphs");
        Run r = ReferenceCheckCommandTest.cli("data", "synth", "--out", out.toString(), "--classes", "10",
                "--per-class", "4", "--seed", "7", "--background-fraction", "0.6");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote 10 classes x 4 images = 40 PNGs") && r.out().contains("6 classes in"
                + " images_background/, 4 in images_evaluation/") && r.out().contains("seed 7"), r.out());
        assertEquals(Layout.OMNIGLOT, Datasets.detect(out.toString()));
        ClassSplits s = Datasets.read(out.toString(), SplitOptions.defaults());
        assertEquals(40, s.train().numImages() + s.val().numImages() + s.test().numImages());
        assertTrue(Files.isRegularFile(out.resolve("images_evaluation/alphabet_02/character_04/04.png")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "--classes 0|--classes must be >= 1, got 0",
        "--per-class -1|--per-class must be >= 1, got -1",
        "--background-fraction 1.5|--background-fraction must be in [0, 1], got 1.5",
        "--threads 0|--threads must be >= 1, got 0"})
    void badArgumentsExitTwoWithAClearMessage(String bad, String expected) {
        Path out = tmp.resolve("g");
        String[] kv = bad.split(" ");
        List<String> args = new ArrayList<>(List.of("data", "synth", "--out", out.toString(), "--classes", "3",
                "--per-class", "2", "--seed", "1"));
        int at = args.indexOf(kv[0]);
        if (at >= 0) {
            args.set(at + 1, kv[1]);
        } else {
            args.addAll(List.of(kv));
        }
        Run r = ReferenceCheckCommandTest.cli(args.toArray(String[]::new));
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void missingOptionsAndANonEmptyOutputExitTwo() throws IOException {
        Run missing = ReferenceCheckCommandTest.cli("data", "synth", "--out", tmp.resolve("g").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--classes"), missing.err());
        Files.writeString(tmp.resolve("file.txt"), "x");
        Run full = ReferenceCheckCommandTest.cli("data", "synth", "--out", tmp.toString(), "--classes", "2",
                "--per-class", "1", "--seed", "1");
        assertEquals(2, full.code());
        assertTrue(full.err().contains("is not empty"), full.err());
        Run notNumber = ReferenceCheckCommandTest.cli("data", "synth", "--out", tmp.resolve("g").toString(),
                "--classes", "many", "--per-class", "1", "--seed", "1");
        assertEquals(2, notNumber.code());
        assertTrue(notNumber.err().contains("--classes"), notNumber.err());
    }
}
