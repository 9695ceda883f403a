package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.jobs.ReferenceCheckCommandTest.Run;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.store.CheckpointFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `fewshot train`, `--resume`, `fewshot eval` and `model export-params` end to end through the CLI. */
class FewShotCommandsTest {

    @TempDir
    Path tmp;

    /** A tiny run: 24 synthetic classes of 16x16 glyphs, a 2-layer Conv-4 of 4 channels, D 8. */
    static List<String> tiny(String dataPath, String out, int steps) {
        List<String> a = new ArrayList<>(List.of("fewshot", "train", "--out", out, "--steps", Integer.toString(steps),
                "--minutes", "0"));
        for (String kv : new String[] {"data.path=" + dataPath, "data.split=12,6,6", "data.image-size=16",
            "episode.queries=2", "model.channels=4", "model.width=8", "model.heads=2", "model.layers=1",
            "model.ff-multiplier=1", "train.batch=4", "train.val-every=2", "train.val-episodes=8", "train.keep-last=2",
            "train.aux-proto=0.5", "eval.episodes=8"}) {
            a.add("--set");
            a.add(kv);
        }
        return a;
    }

    static Path glyphs(Path tmp) {
        return glyphs(tmp.resolve("glyphs"), 3);
    }

    /** Tiny synthetic glyphs (24 classes of 4 images) generated into {@code data} with {@code seed}. */
    static Path glyphs(Path data, long seed) {
        Run r = ReferenceCheckCommandTest.cli("data", "synth", "--out", data.toString(), "--classes", "24",
                "--per-class", "4", "--seed", Long.toString(seed));
        assertEquals(0, r.code(), r.err());
        return data;
    }

    static float maxRelDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float max = 0;
        float diff = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff / max;
    }

    /** --local-steps on Spark: rounds of 2 local steps over 2 shards; a resumed run continues them exactly. */
    @Test
    void localStepRoundsOnSparkResumeExactly() throws IOException {
        Path data = glyphs(tmp.resolve("glyphs-local"), 4);
        List<String> spark = List.of("--master", "local[2]", "--partitions", "2", "--local-steps", "2");
        List<String> a = tiny(data.toString(), tmp.resolve("rounds").toString(), 6);
        a.addAll(spark);
        Run straight = ReferenceCheckCommandTest.cli(a.toArray(String[]::new));
        assertEquals(0, straight.code(), straight.err());
        List<String> b = tiny(data.toString(), tmp.resolve("rounds-resumed").toString(), 2);
        b.addAll(spark);
        assertEquals(0, ReferenceCheckCommandTest.cli(b.toArray(String[]::new)).code());
        List<String> c = tiny(data.toString(), tmp.resolve("rounds-resumed").toString(), 6);
        c.addAll(List.of("--master", "local[2]", "--partitions", "2", "--resume"));
        Run resumed = ReferenceCheckCommandTest.cli(c.toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());
        Checkpoint x = CheckpointFiles.readModel(tmp.resolve("rounds").resolve("step-000000000006.ckpt").toString(),
                m -> { });
        Checkpoint y = CheckpointFiles.readModel(tmp.resolve("rounds-resumed").resolve("step-000000000006.ckpt")
                .toString(), m -> { });
        assertTrue(x.meta("config").contains("train.local-steps = 2"), x.meta("config"));
        assertTrue(maxRelDiff(x.params(), y.params()) <= 1e-6, "resume: " + maxRelDiff(x.params(), y.params()));

        List<String> exact = tiny(data.toString(), tmp.resolve("exact-steps").toString(), 6);
        exact.addAll(List.of("--master", "local[2]", "--partitions", "2"));
        assertEquals(0, ReferenceCheckCommandTest.cli(exact.toArray(String[]::new)).code());
        Checkpoint z = CheckpointFiles.readModel(tmp.resolve("exact-steps").resolve("step-000000000006.ckpt")
                .toString(), m -> { });
        assertTrue(maxRelDiff(z.params(), x.params()) > 1e-4, "local steps are not the exact steps");
    }

    /**
     * --allreduce-steps on Spark: rounds of up to 4 exact steps per job give the one-job-per-step run's parameters
     * and Adam moments to the bit; a run stopped after 2 steps and resumed gives them too.
     */
    @Test
    void allReduceRoundsOnSparkAreTheExactStepsAndResume() throws IOException {
        Path data = glyphs(tmp.resolve("glyphs-allreduce"), 5);
        List<String> spark = List.of("--master", "local[2]", "--partitions", "2");
        List<String> runs = List.of("steps", "allreduce", "allreduce-resumed");
        for (String run : runs) {
            List<String> a = tiny(data.toString(), tmp.resolve(run).toString(), run.endsWith("resumed") ? 2 : 6);
            a.addAll(spark);
            if (!run.equals("steps")) {
                a.addAll(List.of("--allreduce-steps", "4"));
            }
            Run r = ReferenceCheckCommandTest.cli(a.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
        }
        List<String> c = tiny(data.toString(), tmp.resolve("allreduce-resumed").toString(), 6);
        c.addAll(List.of("--master", "local[2]", "--partitions", "2", "--resume"));
        Run resumed = ReferenceCheckCommandTest.cli(c.toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());
        Checkpoint x = CheckpointFiles.readModel(tmp.resolve("steps").resolve("step-000000000006.ckpt").toString(),
                m -> { });
        for (String run : runs.subList(1, 3)) {
            Checkpoint y = CheckpointFiles.readModel(tmp.resolve(run).resolve("step-000000000006.ckpt").toString(),
                    m -> { });
            assertTrue(y.meta("config").contains("train.allreduce-steps = 4"), y.meta("config"));
            org.junit.jupiter.api.Assertions.assertArrayEquals(x.params(), y.params(), run);
            org.junit.jupiter.api.Assertions.assertArrayEquals(x.adamM(), y.adamM(), run);
            org.junit.jupiter.api.Assertions.assertArrayEquals(x.adamV(), y.adamV(), run);
        }
    }

    @Test
    void trainResumeEvalAndExport() throws IOException {
        Path data = glyphs(tmp);
        Path straight = tmp.resolve("straight");
        Run a = ReferenceCheckCommandTest.cli(tiny(data.toString(), straight.toString(), 8).toArray(String[]::new));
        assertEquals(0, a.code(), a.err() + a.out());
        assertTrue(a.out().contains("test accuracy:"), a.out());
        assertTrue(a.err().contains("step time") && a.err().contains("outside compute"), a.err());
        for (String f : new String[] {"run.conf", "metrics.csv", "learning-curve.png", "result.json",
            "step-000000000008.ckpt", "step-000000000006.ckpt"}) {
            assertTrue(Files.isRegularFile(straight.resolve(f)), f);
        }
        assertTrue(!Files.exists(straight.resolve("step-000000000004.ckpt")), "train.keep-last = 2");
        List<String> metrics = Files.readAllLines(straight.resolve("metrics.csv"));
        assertTrue(metrics.get(0).endsWith("step_ms,compute_ms,broadcast_ms,aggregate_ms,update_ms"), metrics.get(0));

        Path halves = tmp.resolve("halves");
        assertEquals(0, ReferenceCheckCommandTest.cli(tiny(data.toString(), halves.toString(), 4)
                .toArray(String[]::new)).code());
        List<String> resume = tiny(data.toString(), halves.toString(), 8);
        resume.add("--resume");
        Run b = ReferenceCheckCommandTest.cli(resume.toArray(String[]::new));
        assertEquals(0, b.code(), b.err());
        Checkpoint x = CheckpointFiles.readModel(straight.resolve("step-000000000008.ckpt").toString(), m -> { });
        Checkpoint y = CheckpointFiles.readModel(halves.resolve("step-000000000008.ckpt").toString(), m -> { });
        assertTrue(maxRelDiff(x.params(), y.params()) <= 1e-6, "resume: " + maxRelDiff(x.params(), y.params()));
        assertEquals(Files.readAllLines(straight.resolve("metrics.csv")).size(),
                Files.readAllLines(halves.resolve("metrics.csv")).size(), "a resumed run's metrics continue");

        Run e = ReferenceCheckCommandTest.cli("fewshot", "eval", "--model", straight.toString(), "--episodes", "10",
                "--json", "--baseline", "pixels");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().startsWith("{\"accuracy\":") && e.out().contains("\"episodes\":10")
                && e.out().contains("\"pixel_nn_accuracy\""), e.out());
        Path npy = tmp.resolve("p.npy");
        Run x2 = ReferenceCheckCommandTest.cli("model", "export-params", "--model", straight.toString(), "--out",
                npy.toString());
        assertEquals(0, x2.code(), x2.err());
        assertTrue(Files.size(npy) > 4L * x.params().length);

        Run bad = ReferenceCheckCommandTest.cli("fewshot", "train", "--out", tmp.resolve("nope").toString(),
                "--resume");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("nope") && bad.err().contains("does not exist"), bad.err());
    }

    @Test
    void sequentialMultiTaskTrainsAndReportsPerTaskAndShot() throws IOException {
        Path first = glyphs(tmp);
        Path second = tmp.resolve("second");
        assertEquals(0, ReferenceCheckCommandTest.cli("data", "synth", "--out", second.toString(), "--classes", "20",
                "--per-class", "4", "--seed", "9").code());
        Path run = tmp.resolve("multi");
        List<String> args = tiny(first.toString(), run.toString(), 2);
        for (String kv : new String[] {"multitask.enabled=true", "multitask.data.path=" + second,
            "multitask.data.split=10,5,5", "multitask.max-trim=3", "episode.setting=delayed", "episode.shots=2",
            "episode.queries=0"}) {
            args.add("--set");
            args.add(kv);
        }
        Run t = ReferenceCheckCommandTest.cli(args.toArray(String[]::new));
        assertEquals(0, t.code(), t.err() + t.out());
        assertTrue(t.out().contains("task 1") && t.out().contains("task 2") && t.out().contains("by occurrence"),
                t.out());
        String result = Files.readString(run.resolve("result.json"));
        assertTrue(result.contains("\"per_shot\":[["), result);
        Run e = ReferenceCheckCommandTest.cli("fewshot", "eval", "--model", run.toString(), "--episodes", "8",
                "--json");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("\"task_accuracy\":[") && e.out().contains("\"second_per_shot\":["), e.out());
        Path single = tmp.resolve("single");
        assertEquals(0, ReferenceCheckCommandTest.cli(tiny(first.toString(), single.toString(), 2)
                .toArray(String[]::new)).code());
        Run wrong = ReferenceCheckCommandTest.cli("fewshot", "eval", "--model", single.toString(), "--second-data",
                second.toString());
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("is not a sequential multi-task model"), wrong.err());
    }
}
