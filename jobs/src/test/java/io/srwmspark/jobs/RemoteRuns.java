package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.jobs.ReferenceCheckCommandTest.Run;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.store.CheckpointFiles;
import io.srwmspark.workers.store.RunStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/** The round trip the tests of a Hadoop file system (HDFS, S3) make through it with the commands. */
final class RemoteRuns {

    private RemoteRuns() {
    }

    /**
     * Trains 4 steps on {@code local[2]} from {@code data} into {@code run} (both on {@code fs}), checks the run
     * folder's files and that no temporary file is left, resumes there without Spark for 4 more steps (keep-last
     * 2), compares with 8 straight steps from the local copy {@code local} of the data (to 1e-5), and evaluates
     * the run folder.
     *
     * @return the step-8 checkpoint read back from {@code run}
     */
    static Checkpoint trainResumeAndCompare(FileSystem fs, String data, String run, Path local, Path straight)
            throws IOException {
        List<String> first = FewShotCommandsTest.tiny(data, run, 4);
        first.addAll(List.of("--master", "local[2]", "--partitions", "2"));
        Run a = ReferenceCheckCommandTest.cli(first.toArray(String[]::new));
        assertEquals(0, a.code(), a.err() + a.out());
        assertTrue(a.err().contains("Spark master local[2], 2 partitions"), a.err());
        List<String> files = RunStore.open(run).list();
        assertTrue(files.containsAll(List.of("metrics.csv", "run.conf", "result.json", "learning-curve.png",
                "step-000000000002.ckpt", "step-000000000004.ckpt")), files.toString());
        assertTrue(files.stream().anyMatch(f -> f.startsWith("best-")), files.toString());
        FileStatus[] all = fs.listStatus(new org.apache.hadoop.fs.Path(run));
        assertEquals(files.size(), all.length, "no temporary files left behind: " + List.of(all));

        List<String> resume = FewShotCommandsTest.tiny(data, run, 8);
        resume.add("--resume");
        Run b = ReferenceCheckCommandTest.cli(resume.toArray(String[]::new));
        assertEquals(0, b.code(), b.err() + b.out());
        assertEquals(List.of(6L, 8L), new CheckpointFiles(RunStore.open(run), 2).steps("step"), "keep-last 2");

        assertEquals(0, ReferenceCheckCommandTest.cli(FewShotCommandsTest.tiny(local.toString(), straight.toString(), 8)
                .toArray(String[]::new)).code());
        Checkpoint there = CheckpointFiles.readModel(run + "/" + CheckpointFiles.name("step", 8), m -> { });
        Checkpoint here = CheckpointFiles.readModel(straight.resolve(CheckpointFiles.name("step", 8)).toString(),
                m -> { });
        assertNotEquals(there.meta("dataset.root"), here.meta("dataset.root"));
        assertEquals(here.meta("dataset"), there.meta("dataset"), "the same data, wherever it is read from");
        float rel = FewShotCommandsTest.maxRelDiff(here.params(), there.params());
        assertTrue(rel <= 1e-5, "4 Spark steps + 4 resumed steps on " + run + " vs 8 local steps: " + rel);

        Run e = ReferenceCheckCommandTest.cli("fewshot", "eval", "--model", run, "--episodes", "8", "--json");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("\"episodes\":8"), e.out());
        return there;
    }
}
