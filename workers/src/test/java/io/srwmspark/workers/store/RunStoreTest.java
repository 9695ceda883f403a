package io.srwmspark.workers.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.fewshot.Checkpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Run folders on the local disk (the same code runs on HDFS in the jobs module's HDFS test). */
class RunStoreTest {

    @TempDir
    Path tmp;

    static Checkpoint checkpoint(long step, float value) {
        float[] p = {value, value + 1, value + 2};
        return new Checkpoint(step, p, new float[3], new float[3], Map.of("config", "x", "k", "v" + step));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void writesAtomicallyReplacesAndListsOnlyFinishedFiles(boolean asUri) throws IOException {
        Path dir = tmp.resolve("run one");
        RunStore s = RunStore.open(asUri ? dir.toUri().toString() : dir.toString());
        assertTrue(Files.isDirectory(dir));
        // the last element of the location as given (a URI keeps its escapes), trailing slashes ignored
        assertEquals(asUri ? "run%20one" : "run one", RunStore.open((asUri ? dir.toUri() : dir) + "/").name());
        s.writeBytes("a.txt", "first".getBytes(StandardCharsets.UTF_8));
        s.writeBytes("a.txt", "second".getBytes(StandardCharsets.UTF_8));
        assertEquals("second", new String(s.read("a.txt"), StandardCharsets.UTF_8));
        IOException boom = assertThrows(IOException.class, () -> s.write("b.txt", out -> {
            out.write(1);
            throw new IOException("disk full");
        }));
        assertEquals("disk full", boom.getMessage());
        assertFalse(s.exists("b.txt"), "a failed write leaves nothing under the final name");
        Files.writeString(dir.resolve(".c.tmp"), "half");
        assertEquals(List.of("a.txt"), s.list());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(".c.tmp", "a.txt"), files.map(f -> f.getFileName().toString()).sorted().toList(),
                    "no .crc side files, no leftover temporaries of the failed write");
        }
        assertTrue(RunStore.isDirectory(dir.toString()));
        assertFalse(RunStore.isDirectory(dir.resolve("a.txt").toString()));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> s.read("nope"));
        assertTrue(missing.getMessage().contains("nope") && missing.getMessage().contains("does not exist"));
        assertThrows(IllegalArgumentException.class, () -> s.writeBytes("../x", new byte[1]));
        Files.writeString(tmp.resolve("plain"), "x");
        IllegalArgumentException notDir = assertThrows(IllegalArgumentException.class,
                () -> RunStore.open(tmp.resolve("plain").toString()));
        assertTrue(notDir.getMessage().contains("not a folder"), notDir.getMessage());
    }

    @Test
    void keepsTheLastKStepCheckpointsAndTheNewestBest() throws IOException {
        CheckpointFiles f = new CheckpointFiles(RunStore.open(tmp.toString()), 2);
        f.save(checkpoint(10, 1), true);
        f.save(checkpoint(20, 2), false);
        f.save(checkpoint(30, 3), true);
        f.save(checkpoint(40, 4), false);
        assertEquals(List.of(30L, 40L), f.steps("step"));
        assertEquals(List.of(30L), f.steps("best"));
        Checkpoint last = f.latest("step", msg -> { }).orElseThrow();
        assertEquals(40, last.step());
        assertArrayEquals(checkpoint(40, 4).params(), last.params());
        assertEquals("v40", last.meta("k"));
        assertEquals(30, CheckpointFiles.readModel(tmp.toString(), msg -> { }).step(), "a run folder's model is its best");
        assertEquals(40, CheckpointFiles.readModel(tmp.resolve(CheckpointFiles.name("step", 40)).toString(),
                msg -> { }).step());
        assertThrows(IllegalArgumentException.class, () -> new CheckpointFiles(f.store(), 0));
    }

    @Test
    void aCorruptNewestCheckpointIsSkippedNamedAndKept() throws IOException {
        CheckpointFiles f = new CheckpointFiles(RunStore.open(tmp.toString()), 3);
        f.save(checkpoint(1, 1), false);
        f.save(checkpoint(2, 2), false);
        Path newest = tmp.resolve(CheckpointFiles.name("step", 2));
        byte[] bytes = Files.readAllBytes(newest);
        bytes[bytes.length - 20] ^= 1;
        Files.write(newest, bytes);
        List<String> skipped = new ArrayList<>();
        assertEquals(1, f.latest("step", skipped::add).orElseThrow().step());
        assertEquals(1, skipped.size());
        assertTrue(skipped.get(0).contains(newest.getFileName().toString()) && skipped.get(0).contains("checksum"),
                skipped.get(0));
        assertTrue(Files.exists(newest), "evidence is not deleted");
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.readModel(tmp.resolve("empty").toString(), msg -> { }));
        assertTrue(none.getMessage().contains("does not exist"), none.getMessage());
        Files.createDirectories(tmp.resolve("empty"));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.readModel(tmp.resolve("empty").toString(), msg -> { }));
        assertTrue(empty.getMessage().contains("without a readable checkpoint"), empty.getMessage());
    }
}
