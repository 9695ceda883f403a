package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.jobs.ReferenceCheckCommandTest.Run;
import io.srwmspark.workers.config.Conf;
import io.srwmspark.workers.dl4j.FewShotGraph;
import io.srwmspark.workers.dl4j.GraphFile;
import io.srwmspark.workers.fewshot.FewShotConfig;
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
        Path glyphs = tmp.resolve("glyphs");
        Run synth = ReferenceCheckCommandTest.cli("data", "synth", "--out", glyphs.toString(), "--classes", "24",
                "--per-class", "4", "--seed", "5");
        assertEquals(0, synth.code(), synth.err());
        Path run = tmp.resolve("run");
        List<String> args = new ArrayList<>(List.of("fewshot", "train", "--strategy", "dl4j-averaging", "--master",
                "local[2]", "--partitions", "2", "--averaging-frequency", "2", "--steps", "4", "--out", run.toString()));
        for (String kv : new String[] {"data.path=" + glyphs, "data.split=12,6,6", "data.image-size=16",
                "model.channels=4", "model.width=16", "model.heads=2", "model.layers=1", "episode.queries=2",
                "train.batch=4", "train.minutes=0", "train.val-every=2", "train.val-episodes=6",
                "eval.episodes=10"}) {
            args.add("--set");
            args.add(kv);
        }
        Run train = ReferenceCheckCommandTest.cli(args.toArray(String[]::new));
        assertEquals(0, train.code(), train.err());
        assertTrue(train.err().contains("dl4j-averaging: DL4J ComputationGraph") && train.err().contains(
                "2 workers x 2 episodes per minibatch, averaging every 2 steps"), train.err());
        assertTrue(train.out().contains("trained 4 steps (2 averaging rounds)"), train.out());
        for (String f : new String[] {"best.zip", "last.zip", "metrics.csv", "result.json", "run.conf",
            "learning-curve.png"}) {
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
    void aBatchTheWorkersDoNotDivideIsRefusedBeforeTraining() {
        Run r = ReferenceCheckCommandTest.cli("fewshot", "train", "--strategy", "dl4j-averaging", "--master",
                "local[2]", "--partitions", "3", "--steps", "1", "--out", tmp.resolve("bad").toString(), "--set",
                "data.path=" + tmp.resolve("missing"), "--set", "train.batch=4");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("train.batch = 4 must be a multiple of the 3 workers"), r.err());
        assertFalse(Files.exists(tmp.resolve("bad")));
    }
}
