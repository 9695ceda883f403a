package io.srwmspark.workers.fewshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.store.CheckpointFiles;
import io.srwmspark.workers.store.RunStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The single-machine trainer: exact resume, files of a run, checkpoint integrity. */
class FewShotTrainerTest {

    @TempDir
    Path tmp;

    private static final FewShotTrainer.Progress QUIET = new FewShotTrainer.Progress() {
        @Override
        public void step(long step, long total, double loss, double accuracy, double stepsPerSecond, double seconds) {
        }

        @Override
        public void validation(long step, double accuracy, double ci95, boolean best) {
        }
    };

    private static FewShotConfig config(int steps) {
        return FewShotConfig.from(Conf.parse(String.join("\n", "episode.ways = 3", "episode.queries = 2",
                "train.batch = 4", "train.steps = " + steps, "train.val-every = 10", "train.val-episodes = 6",
                "model.width = 4", "model.heads = 2", "model.layers = 1"), "test"));
    }

    private float[] run(Path dir, int steps, Checkpoint resume) throws IOException {
        FewShotConfig cfg = config(steps);
        FewShotModel model = FewShotModelGradientTest.model("srwm", 3, 0);
        FakeImages data = new FakeImages(10, 5);
        FewShotTrainer.Outcome o = FewShotTrainer.train(cfg, model, data, data, RunStore.open(dir.toString()), resume,
                Map.of("config", "x"),
                QUIET);
        assertEquals(steps, o.step());
        return o.lastParams().data().asFloat();
    }

    @Test
    void tenStepsThenTenMoreEqualTwentyStepsAtOnce() throws IOException {
        float[] straight = run(tmp.resolve("a"), 20, null);
        run(tmp.resolve("b"), 10, null);
        Checkpoint half = new CheckpointFiles(RunStore.open(tmp.resolve("b").toString()), 1)
                .latest("step", msg -> { }).orElseThrow();
        assertEquals(10, half.step());
        float[] resumed = run(tmp.resolve("b"), 20, half);
        double max = 0;
        double diff = 0;
        for (int i = 0; i < straight.length; i++) {
            max = Math.max(max, Math.abs(straight[i]));
            diff = Math.max(diff, Math.abs(straight[i] - resumed[i]));
        }
        assertTrue(diff <= 1e-6 * max, "relative difference " + diff / max);
        for (String f : new String[] {"metrics.csv", "step-000000000020.ckpt", "step-000000000010.ckpt",
            "learning-curve.png"}) {
            assertTrue(Files.isRegularFile(tmp.resolve("b").resolve(f)), f);
        }
    }

    @Test
    void aCorruptCheckpointIsRefusedWithTheReason() throws IOException {
        run(tmp.resolve("c"), 10, null);
        Path ckpt = tmp.resolve("c").resolve("step-000000000010.ckpt");
        byte[] bytes = Files.readAllBytes(ckpt);
        bytes[bytes.length / 2] ^= 0x40;
        Path bad = tmp.resolve("bad.ckpt");
        Files.write(bad, bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FewShotTrainer.readCheckpoint(bad));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        Files.write(bad, java.util.Arrays.copyOf(bytes, bytes.length / 3));
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> FewShotTrainer.readCheckpoint(bad));
        assertTrue(t.getMessage().contains("truncated"), t.getMessage());
        Files.writeString(bad, "not a checkpoint");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FewShotTrainer.readCheckpoint(bad))
                .getMessage().contains("not an srwm-spark checkpoint"));
    }
}
