package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.jobs.ReferenceCheckCommandTest.Run;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.store.CheckpointFiles;
import io.srwmspark.workers.store.RunStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data, checkpoints and resume through a real HDFS (a NameNode and a DataNode in this JVM, from
 * hadoop-client-minicluster), with Spark executors reading the dataset from it.
 */
class HdfsRunTest {

    @TempDir
    static Path tmp;

    private static MiniDFSCluster cluster;
    private static String hdfs;

    @BeforeAll
    static void startHdfs() throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("hdfs").toString());
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        hdfs = cluster.getFileSystem().getUri().toString();
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    @Test
    void trainsOnSparkFromHdfsCheckpointsThereAndResumesExactly() throws IOException {
        Path local = FewShotCommandsTest.glyphs(tmp);
        FileSystem fs = cluster.getFileSystem();
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path("/data"));
        String data = hdfs + "/data";
        String run = hdfs + "/runs/a";

        RemoteRuns.trainResumeAndCompare(fs, data, run, local, tmp.resolve("straight"));

        Run missing = ReferenceCheckCommandTest.cli(FewShotCommandsTest.tiny(hdfs + "/nothing", hdfs + "/runs/b", 2)
                .toArray(String[]::new));
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains(hdfs + "/nothing"), missing.err());
    }

    @Test
    void aDl4jAveragingRunCheckpointsOnHdfsAndResumesThereExactly() throws IOException {
        Path local = FewShotCommandsTest.glyphs(tmp.resolve("glyphs-dl4j"), 6);
        FileSystem fs = cluster.getFileSystem();
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path("/dl4j"));
        String data = hdfs + "/dl4j";
        String run = hdfs + "/runs/dl4j";

        Run a = FewShotTrainDl4jTest.train(data, run, "--steps", "2");
        assertEquals(0, a.code(), a.err() + a.out());
        Run b = ReferenceCheckCommandTest.cli("fewshot", "train", "--master", "local[2]", "--partitions", "2", "--out",
                run, "--resume", "--steps", "4");
        assertEquals(0, b.code(), b.err() + b.out());
        assertTrue(b.err().contains("resuming at step 2"), b.err());
        List<String> files = RunStore.open(run).list();
        assertTrue(files.containsAll(List.of("best.zip", "last.zip", "metrics.csv", "run.conf", "result.json",
                "learning-curve.png", "step-000000000002.ckpt", "step-000000000004.ckpt")), files.toString());
        assertTrue(fs.listStatus(new org.apache.hadoop.fs.Path("/runs/dl4j")).length == files.size(),
                "no temporary files left behind (last.zip was replaced on HDFS)");

        Path straight = tmp.resolve("dl4j-straight");
        Run c = FewShotTrainDl4jTest.train(local, straight.toString(), "--steps", "4");
        assertEquals(0, c.code(), c.err());
        Checkpoint viaHdfs = CheckpointFiles.readModel(run + "/" + CheckpointFiles.name("step", 4), m -> { });
        Checkpoint here = CheckpointFiles.readModel(straight.resolve(CheckpointFiles.name("step", 4)).toString(),
                m -> { });
        double[] diff = FewShotTrainDl4jTest.relativeDiff(here, viaHdfs);
        assertTrue(diff[0] <= 1e-6 && diff[1] <= 1e-6, "2 + 2 resumed steps on HDFS vs 4 local steps: " + diff[0]
                + ", Adam " + diff[1]);

        Run e = ReferenceCheckCommandTest.cli("fewshot", "eval", "--model", run, "--episodes", "8", "--json");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("\"episodes\":8") && e.out().contains("\"batch_norm\":\"running\""), e.out());
    }
}
