package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.jobs.ReferenceCheckCommandTest.Run;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.store.CheckpointFiles;
import io.srwmspark.workers.store.HadoopConf;
import io.srwmspark.workers.store.RunStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data, checkpoints, resume, evaluation and export through {@code s3a://}: Hadoop's S3A client (hadoop-aws and
 * the AWS SDK) against a real S3 endpoint on 127.0.0.1 ({@link S3Endpoint}), configured the way Spark users
 * configure it, as {@code spark.hadoop.fs.s3a.*} settings.
 */
class S3aRunTest {

    private static final String BUCKET = S3Endpoint.BUCKET;

    @TempDir
    static Path tmp;

    private static ChildProcesses processes;
    private static S3Endpoint s3;
    private static Map<String, String> settings;

    @BeforeAll
    static void startS3() throws Exception {
        processes = new ChildProcesses();
        s3 = S3Endpoint.start(processes, tmp);
        settings = s3.hadoopSettings();
        // as `./srwm` gets them from SRWM_JAVA_OPTS=-Dspark.hadoop.KEY=VALUE, and spark-submit from --conf
        settings.forEach((k, v) -> System.setProperty(HadoopConf.PREFIX + k, v));
    }

    @AfterAll
    static void stopS3() throws IOException {
        if (settings != null) {
            settings.keySet().forEach(k -> System.clearProperty(HadoopConf.PREFIX + k));
        }
        FileSystem.closeAll();
        if (processes != null) {
            processes.close();
        }
    }

    private static FileSystem s3() throws IOException {
        return new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/").getFileSystem(HadoopConf.create());
    }

    @Test
    void trainsOnSparkFromS3CheckpointsThereResumesExactlyAndExports() throws IOException {
        Path local = FewShotCommandsTest.glyphs(tmp);
        FileSystem fs = s3();
        s3.upload(local, "data");
        String data = "s3a://" + BUCKET + "/data";
        String run = "s3a://" + BUCKET + "/runs/a";

        Checkpoint viaS3 = RemoteRuns.trainResumeAndCompare(fs, data, run, local, tmp.resolve("straight"));

        // a checkpoint file and the run folder (its best checkpoint) exported from S3
        Path step8 = tmp.resolve("step8.npy");
        assertEquals(0, ReferenceCheckCommandTest.cli("model", "export-params", "--model", run + "/"
                + CheckpointFiles.name("step", 8), "--out", step8.toString()).code());
        assertArrayEquals(viaS3.params(), npyFloats(step8), 0f);
        Path best = tmp.resolve("best.npy");
        assertEquals(0, ReferenceCheckCommandTest.cli("model", "export-params", "--model", run, "--out",
                best.toString()).code());
        assertArrayEquals(CheckpointFiles.readModel(run, m -> { }).params(), npyFloats(best), 0f);
    }

    @Test
    void aCorruptCheckpointOnS3IsRefusedAndResumeFallsBackToTheOneBefore() throws IOException {
        Path local = FewShotCommandsTest.glyphs(tmp.resolve("glyphs-corrupt"), 5);
        FileSystem fs = s3();
        s3.upload(local, "corrupt");
        String data = "s3a://" + BUCKET + "/corrupt";
        String run = "s3a://" + BUCKET + "/runs/corrupt";
        assertEquals(0, ReferenceCheckCommandTest.cli(FewShotCommandsTest.tiny(data, run, 4).toArray(String[]::new))
                .code());

        // flip one byte in the middle of the newest checkpoint, in place on S3
        org.apache.hadoop.fs.Path newest = new org.apache.hadoop.fs.Path(run + "/" + CheckpointFiles.name("step", 4));
        byte[] bytes;
        try (var in = fs.open(newest)) {
            bytes = in.readAllBytes();
        }
        bytes[bytes.length / 2] ^= 0x40;
        try (OutputStream out = fs.create(newest, true)) {
            out.write(bytes);
        }

        Run eval = ReferenceCheckCommandTest.cli("fewshot", "eval", "--model", newest.toString(), "--episodes", "4");
        assertEquals(2, eval.code(), eval.err() + eval.out());
        assertTrue(eval.err().contains(newest.toString()) && eval.err().contains("checksum mismatch"), eval.err());

        // resume skips it, continues from step 2, and writes step 4 anew over the corrupt object
        List<String> resume = FewShotCommandsTest.tiny(data, run, 6);
        resume.add("--resume");
        Run r = ReferenceCheckCommandTest.cli(resume.toArray(String[]::new));
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.err().contains("skips") && r.err().contains("checksum mismatch"), r.err());
        assertEquals(List.of(4L, 6L), new CheckpointFiles(RunStore.open(run), 2).steps("step"), "keep-last 2");
        Checkpoint rewritten = CheckpointFiles.readModel(newest.toString(), m -> { });
        assertEquals(4, rewritten.step());

        Path straight = tmp.resolve("corrupt-straight");
        assertEquals(0, ReferenceCheckCommandTest.cli(FewShotCommandsTest.tiny(local.toString(), straight.toString(), 6)
                .toArray(String[]::new)).code());
        Checkpoint here = CheckpointFiles.readModel(straight.resolve(CheckpointFiles.name("step", 6)).toString(),
                m -> { });
        Checkpoint viaS3 = CheckpointFiles.readModel(run + "/" + CheckpointFiles.name("step", 6), m -> { });
        float rel = FewShotCommandsTest.maxRelDiff(here.params(), viaS3.params());
        assertTrue(rel <= 1e-6, "2 steps + 4 resumed after a corrupt checkpoint vs 6 straight steps: " + rel);
    }

    @Test
    void aMissingDatasetOnS3FailsQuicklyNamingIt() {
        String missing = "s3a://" + BUCKET + "/nothing";
        long t0 = System.nanoTime();
        Run r = ReferenceCheckCommandTest.cli(FewShotCommandsTest.tiny(missing, "s3a://" + BUCKET + "/runs/missing", 2)
                .toArray(String[]::new));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(2, r.code(), r.err() + r.out());
        assertTrue(r.err().contains(missing), r.err());
        assertTrue(seconds < 60, "failed after " + seconds + " s");
    }

    /** The floats of a one-dimensional little-endian float32 .npy file. */
    private static float[] npyFloats(Path npy) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(npy)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = b.getShort(8) & 0xffff;
        b.position(10 + headerLength);
        float[] out = new float[b.remaining() / Float.BYTES];
        b.asFloatBuffer().get(out);
        return out;
    }
}
