package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.driver.Dl4jAveragingTrainer;
import io.srwmspark.jobs.ReferenceCheckCommandTest.Run;
import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.dl4j.FewShotGraph;
import io.srwmspark.workers.dl4j.GraphFile;
import io.srwmspark.workers.dl4j.GraphState;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.fewshot.FewShotConfig;
import io.srwmspark.workers.fewshot.FewShotTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fewshot train --strategy dl4j-averaging} end to end on Spark local[2] through the command line: a few
 * averaging rounds on tiny synthetic glyphs, the run folder's files, and {@code fewshot eval} of the model.
 */
class FewShotTrainDl4jTest {

    @TempDir
    static Path tmp;

    private static String uiBefore;

    @BeforeAll
    static void noSparkUi() {
        uiBefore = System.setProperty("spark.ui.enabled", "false");
    }

    @AfterAll
    static void restoreSparkUi() {
        if (uiBefore == null) {
            System.clearProperty("spark.ui.enabled");
        } else {
            System.setProperty("spark.ui.enabled", uiBefore);
        }
    }

    @Test
    void trainsOnSparkWithParameterAveragingAndTheModelIsScoredByFewShotEval() throws IOException {
        Path glyphs = FewShotCommandsTest.glyphs(tmp.resolve("glyphs"), 5);
        Path run = tmp.resolve("run");
        Run train = train(glyphs, run.toString(), "--steps", "4");
        assertEquals(0, train.code(), train.err());
        assertTrue(train.err().contains("dl4j-averaging: DL4J ComputationGraph") && train.err().contains(
                "2 workers x 2 episodes per minibatch, averaging every 2 steps"), train.err());
        assertTrue(train.out().contains("trained 4 steps (2 averaging rounds)"), train.out());
        for (String f : new String[] {"best.zip", "last.zip", "metrics.csv", "result.json", "run.conf",
            "learning-curve.png", "step-000000000004.ckpt"}) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        assertEquals(3, metrics.size(), String.join("\n", metrics));
        assertTrue(metrics.get(1).startsWith("2,") && metrics.get(2).startsWith("4,"), String.join("\n", metrics));
        String result = Files.readString(run.resolve("result.json"));
        assertTrue(result.contains("\"episodes\":10") && result.contains("\"rounds\":2")
                && result.contains("\"strategy\":\"dl4j-averaging\""), result);

        // the averaged parameters moved away from the initialization (same seed, same initial graph)
        GraphFile last = GraphFile.read(run.resolve("last.zip"));
        FewShotConfig cfg = FewShotConfig.from(Conf.parse(last.configText(), "last.zip"));
        assertEquals("dl4j-averaging", cfg.distributed().strategy());
        ComputationGraph init = FewShotGraph.build(cfg, 1, 16, 16);
        assertEquals(init.numParams(), last.graph().numParams());
        assertFalse(init.params().equalsWithEps(last.graph().params(), 1e-6), "training changed the parameters");
        assertTrue(last.graph().getUpdater().getStateViewArray().sumNumber().doubleValue() != 0,
                "the averaged Adam state is saved");

        Run eval = ReferenceCheckCommandTest.cli("fewshot", "eval", "--model", run.toString(), "--episodes", "12",
                "--json");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("\"episodes\":12") && eval.out().contains("\"ways\":5")
                && eval.out().contains("\"batch_norm\":\"running\""), eval.out());
        Run episodeBn = ReferenceCheckCommandTest.cli("fewshot", "eval", "--model", run.resolve("best.zip").toString(),
                "--episodes", "6", "--batch-norm", "episode");
        assertEquals(0, episodeBn.code(), episodeBn.err());
        assertTrue(episodeBn.out().contains("accuracy") && episodeBn.out().contains("(6 episodes)"), episodeBn.out());
        Run badBn = ReferenceCheckCommandTest.cli("fewshot", "eval", "--model", run.toString(), "--batch-norm", "x");
        assertEquals(2, badBn.code());
        assertTrue(badBn.err().contains("batch-norm mode must be running or episode"), badBn.err());
    }

    @Test
    void aResumedRunContinuesExactlyAndItsCheckpointsAreExported() throws IOException {
        Path glyphs = FewShotCommandsTest.glyphs(tmp.resolve("glyphs-resume"), 6);
        Path straight = tmp.resolve("straight");
        Path split = tmp.resolve("split");
        Run a = train(glyphs, straight.toString(), "--steps", "6");
        assertEquals(0, a.code(), a.err());
        // the interrupted run lives behind a file:// URI (Hadoop's local file system), as on any cluster store
        String splitUri = split.toUri().toString();
        Run b1 = train(glyphs, splitUri, "--steps", "2");
        assertEquals(0, b1.code(), b1.err());
        Run b2 = ReferenceCheckCommandTest.cli("fewshot", "train", "--master", "local[2]", "--partitions", "2",
                "--out", splitUri, "--resume", "--steps", "6");
        assertEquals(0, b2.code(), b2.err());
        assertTrue(b2.err().contains("resuming at step 2"), b2.err());
        assertTrue(b2.out().contains("trained 6 steps (3 averaging rounds)"), b2.out());

        Checkpoint x = FewShotTrainer.readCheckpoint(straight.resolve("step-000000000006.ckpt"));
        Checkpoint y = FewShotTrainer.readCheckpoint(split.resolve("step-000000000006.ckpt"));
        assertEquals(x.meta(GraphState.ITERATION), y.meta(GraphState.ITERATION));
        assertEquals("3", y.meta(Dl4jAveragingTrainer.ROUNDS));
        double[] diff = relativeDiff(x, y);
        assertTrue(diff[0] <= 1e-6 && diff[1] <= 1e-6, "resumed vs straight: params " + diff[0] + ", Adam " + diff[1]);
        Checkpoint early = FewShotTrainer.readCheckpoint(straight.resolve("step-000000000002.ckpt"));
        assertTrue(relativeDiff(x, early)[0] > 1e-3, "later steps moved the parameters");
        List<String> metrics = Files.readAllLines(split.resolve("metrics.csv"));
        assertEquals(List.of("step", "2", "4", "6"), metrics.stream().map(l -> l.substring(0, l.indexOf(',')))
                .toList(), String.join("\n", metrics));

        // the checkpoints are the model for eval and export; a corrupt newest one is skipped on resume
        Run eval = ReferenceCheckCommandTest.cli("fewshot", "eval", "--model", splitUri, "--episodes", "8", "--json");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("\"batch_norm\":\"running\""), eval.out());
        Path npy = tmp.resolve("dl4j.npy");
        Run export = ReferenceCheckCommandTest.cli("model", "export-params", "--model",
                straight.resolve("step-000000000006.ckpt").toString(), "--out", npy.toString());
        assertEquals(0, export.code(), export.err());
        List<String> layout = Files.readAllLines(tmp.resolve("dl4j.npy.layout.tsv"));
        assertTrue(layout.size() > 10 && layout.stream().noneMatch(l -> l.startsWith("#")), String.join("\n", layout));
        long covered = layout.stream().skip(1).mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf('\t') + 1)))
                .sum();
        assertEquals(x.params().length, covered);

        Path newest = split.resolve("step-000000000006.ckpt");
        byte[] bytes = Files.readAllBytes(newest);
        bytes[bytes.length / 2] ^= 0x55;
        Files.write(newest, bytes);
        Run b3 = ReferenceCheckCommandTest.cli("fewshot", "train", "--master", "local[2]", "--partitions", "2",
                "--out", splitUri, "--resume", "--steps", "6");
        assertEquals(0, b3.code(), b3.err());
        assertTrue(b3.err().contains("skips") && b3.err().contains("checksum mismatch")
                && b3.err().contains("resuming at step 4"), b3.err());
    }

    @Test
    void aRunCannotChangeItsStrategyOnResume() throws IOException {
        Path glyphs = FewShotCommandsTest.glyphs(tmp.resolve("glyphs-strategy"), 7);
        Path run = tmp.resolve("strategy");
        assertEquals(0, train(glyphs, run.toString(), "--steps", "2").code());
        Run exact = ReferenceCheckCommandTest.cli("fewshot", "train", "--out", run.toString(), "--resume", "--steps",
                "4", "--strategy", "exact");
        assertEquals(2, exact.code(), exact.err());
        assertTrue(exact.err().contains("was trained with train.strategy = dl4j-averaging"), exact.err());
    }

    /** A dl4j-averaging run on the tiny glyphs: 2 workers of 2 episodes, averaging every 2 steps. */
    static Run train(Path glyphs, String out, String... more) {
        return train(glyphs.toString(), out, more);
    }

    /** As {@link #train(Path, String, String...)} with the data at a path or URI. */
    static Run train(String glyphs, String out, String... more) {
        List<String> args = new ArrayList<>(List.of("fewshot", "train", "--strategy", "dl4j-averaging", "--master",
                "local[2]", "--partitions", "2", "--averaging-frequency", "2", "--out", out));
        args.addAll(List.of(more));
        for (String kv : new String[] {"data.path=" + glyphs, "data.split=12,6,6", "data.image-size=16",
                "model.channels=4", "model.width=16", "model.heads=2", "model.layers=1", "episode.queries=2",
                "train.batch=4", "train.minutes=0", "train.val-every=2", "train.val-episodes=6", "train.keep-last=3",
                "eval.episodes=10"}) {
            args.add("--set");
            args.add(kv);
        }
        return ReferenceCheckCommandTest.cli(args.toArray(String[]::new));
    }

    /** Largest |a - b| / max|a| over the parameters, and over both Adam moments. */
    static double[] relativeDiff(Checkpoint a, Checkpoint b) {
        double moments = Math.max(FewShotCommandsTest.maxRelDiff(a.adamM(), b.adamM()),
                FewShotCommandsTest.maxRelDiff(a.adamV(), b.adamV()));
        return new double[] {FewShotCommandsTest.maxRelDiff(a.params(), b.params()), moments};
    }

    @Test
    void aBatchTheWorkersDoNotDivideIsRefusedBeforeTraining() {
        Run r = ReferenceCheckCommandTest.cli("fewshot", "train", "--strategy", "dl4j-averaging", "--master",
                "local[2]", "--partitions", "3", "--steps", "1", "--out", tmp.resolve("bad").toString(), "--set",
                "data.path=" + tmp.resolve("missing"), "--set", "train.batch=4");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("train.batch = 4 must be a multiple of the 3 workers"), r.err());
        assertFalse(Files.exists(tmp.resolve("bad")));
    }
}
