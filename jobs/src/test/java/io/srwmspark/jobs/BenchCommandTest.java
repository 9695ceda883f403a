package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

class BenchCommandTest {

    @Test
    void layerJsonPrintsOneObjectPerShapeAndKernel() throws Exception {
        ReferenceCheckCommandTest.Run r = ReferenceCheckCommandTest.cli("bench", "layer", "--shape", "2,2,5,4",
                "--shape", "1,1,3,2", "--kernel", "cpu", "--warmup", "0", "--seconds", "0", "--repeats", "2", "--forks", "0",
                "--json");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r.out());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertEquals("[2,2,5,4]", first.get("shape").toString());
        assertEquals("cpu", first.get("kernel").asText());
        assertTrue(first.get("median_ms").asDouble() > 0);
        assertTrue(first.get("tape_bytes").asLong() > 0);
    }

    @Test
    void layerTableHasAHeaderAndARow() {
        ReferenceCheckCommandTest.Run r = ReferenceCheckCommandTest.cli("bench", "layer", "--shape", "2,2,5,4",
                "--kernel", "cpu", "--warmup", "0", "--seconds", "0", "--repeats", "2", "--forks", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("median ms") && r.out().contains("(2,2,5,4)"), r.out());
    }

    @Test
    void fewShotGraphBenchTimesTheDl4jGraph() throws Exception {
        String[] tiny = {"--set", "data.image-size=16", "--set", "model.channels=4", "--set", "model.width=16", "--set",
            "model.heads=2", "--set", "model.layers=1", "--set", "train.batch=2", "--warmup", "1", "--steps", "2",
            "--json"};
        List<String> graphArgs = new java.util.ArrayList<>(List.of("bench", "fewshot", "--graph"));
        graphArgs.addAll(List.of(tiny));
        ReferenceCheckCommandTest.Run g = ReferenceCheckCommandTest.cli(graphArgs.toArray(String[]::new));
        assertEquals(0, g.code(), g.err());
        List<String> exactArgs = new java.util.ArrayList<>(List.of("bench", "fewshot"));
        exactArgs.addAll(List.of(tiny));
        ReferenceCheckCommandTest.Run e = ReferenceCheckCommandTest.cli(exactArgs.toArray(String[]::new));
        assertEquals(0, e.code(), e.err());
        JsonNode graph = new ObjectMapper().readTree(g.out());
        JsonNode exact = new ObjectMapper().readTree(e.out());
        // the graph's batch-norm layers also store running mean and variance: 2 x 4 channels x 4 blocks more
        assertEquals(exact.get("params").asLong() + 32, graph.get("params").asLong());
        assertEquals(2, graph.get("batch").asInt());
        assertEquals("dl4j-graph", graph.get("model").asText());
        assertTrue(graph.get("median_step_ms").asDouble() > 0);
    }

    @Test
    void sparkBenchWarmsUpBetweenItsBoundsAndReportsARow(@TempDir Path tmp) throws Exception {
        Path data = FewShotCommandsTest.glyphs(tmp);
        ReferenceCheckCommandTest.Run r = ReferenceCheckCommandTest.cli("bench", "spark", "--only", "2", "--set",
                "data.path=" + data, "--set", "data.split=12,6,6", "--set", "data.image-size=16", "--set",
                "episode.queries=2", "--set",
                "model.channels=4", "--set", "model.width=16", "--set", "model.heads=2", "--set", "model.layers=1",
                "--batch", "4", "--warmup", "1", "--max-warmup", "3", "--steps", "2");
        assertEquals(0, r.code(), r.err());
        JsonNode row = new ObjectMapper().readTree(r.out().lines().filter(l -> l.startsWith("{")).findFirst()
                .orElseThrow());
        assertEquals(2, row.get("threads").asInt());
        int warm = row.get("warmup_steps").asInt();
        assertTrue(warm >= 1 && warm <= 3, "warm-up steps " + warm);
        // settled needs a full window of steps, more than three
        assertTrue(!row.get("settled").asBoolean() && warm == 3, r.out());
        assertTrue(row.get("step_ms").asDouble() > 0 && row.get("compute_ms").asDouble() > 0, r.out());
        assertTrue(row.get("alloc_mb").asDouble() > 0 && row.get("gc_ms").asDouble() >= 0, r.out());
        assertTrue(row.get("faults").asDouble() >= 0 && row.get("lent_chunks").asDouble() >= 0, r.out());
    }

    /** --allreduce-steps: the units are rounds of K exact steps, reported per step. */
    @Test
    void sparkBenchTimesAllReduceRounds(@TempDir Path tmp) throws Exception {
        Path data = FewShotCommandsTest.glyphs(tmp);
        ReferenceCheckCommandTest.Run r = ReferenceCheckCommandTest.cli("bench", "spark", "--only", "2", "--set",
                "data.path=" + data, "--set", "data.split=12,6,6", "--set", "data.image-size=16", "--set",
                "episode.queries=2", "--set", "model.channels=4", "--set", "model.width=16", "--set", "model.heads=2",
                "--set", "model.layers=1", "--batch", "4", "--warmup", "1", "--max-warmup", "2", "--steps", "2",
                "--allreduce-steps", "3");
        assertEquals(0, r.code(), r.err());
        JsonNode row = new ObjectMapper().readTree(r.out().lines().filter(l -> l.startsWith("{")).findFirst()
                .orElseThrow());
        assertEquals(3, row.get("allreduce_steps").asInt());
        assertEquals(2, row.get("warmup_steps").asInt(), "warm-up counts rounds");
        double step = row.get("step_ms").asDouble();
        double compute = row.get("compute_ms").asDouble();
        assertTrue(step > 0 && compute > 0 && compute <= step * 1.01, r.out());
    }

    /** The whole comparison: two forked JVMs warm up, take turns of timed steps, and the host is probed. */
    @Test
    void sparkBenchComparesBothMastersInTurns(@TempDir Path tmp) throws Exception {
        Path data = FewShotCommandsTest.glyphs(tmp);
        ReferenceCheckCommandTest.Run r = ReferenceCheckCommandTest.cli("bench", "spark", "--set",
                "data.path=" + data, "--set", "data.split=12,6,6", "--set", "data.image-size=16", "--set",
                "episode.queries=2", "--set", "model.channels=4", "--set", "model.width=16", "--set", "model.heads=2",
                "--set", "model.layers=1", "--batch", "4", "--warmup", "1", "--max-warmup", "2", "--steps", "3",
                "--chunk", "2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode row = new ObjectMapper().readTree(r.out().lines().filter(l -> l.startsWith("{")).findFirst()
                .orElseThrow());
        assertEquals(4, row.get("batch").asInt());
        assertTrue(row.get("steps_per_s_1").asDouble() > 0 && row.get("steps_per_s_2").asDouble() > 0, r.out());
        assertTrue(row.get("efficiency_2").asDouble() > 0, r.out());
        assertTrue(row.get("warmup_steps_1").asInt() == 2 && row.get("warmup_steps_2").asInt() == 2, r.out());
        // every step allocates (episodes, gradients, Spark's task data); collection pauses may or may not fall in it
        assertTrue(row.get("alloc_mb_1").asDouble() > 0 && row.get("alloc_mb_2").asDouble() > 0, r.out());
        assertTrue(row.get("gc_ms_1").asDouble() >= 0 && row.get("gc_ms_2").asDouble() >= 0, r.out());
        assertTrue(row.get("faults_1").asDouble() >= 0 && row.get("faults_2").asDouble() >= 0, r.out());
        assertTrue(row.get("lent_chunks_2").asDouble() >= 0, r.out());
        double host = row.get("host_efficiency_2").asDouble();
        assertTrue(host > 0 && row.get("host_efficiency_2_min").asDouble() <= host
                && host <= row.get("host_efficiency_2_max").asDouble(), r.out());
    }

    /** A forked JVM that fails says why: its last log lines come with the error. */
    @Test
    void sparkBenchReportsAFailingChild(@TempDir Path tmp) {
        String missing = tmp.resolve("no-such-glyphs").toString();
        ReferenceCheckCommandTest.Run r = ReferenceCheckCommandTest.cli("bench", "spark", "--set",
                "data.path=" + missing, "--batch", "4", "--warmup", "1", "--max-warmup", "1", "--steps", "1");
        assertTrue(r.code() != 0, r.out());
        assertTrue(r.err().contains("local[1]") && r.err().contains(missing), r.err());
    }

    @Test
    void sparkBenchRejectsAWarmUpRangeUpsideDown() {
        ReferenceCheckCommandTest.Run r = ReferenceCheckCommandTest.cli("bench", "spark", "--warmup", "5",
                "--max-warmup", "4");
        assertTrue(r.code() != 0 && r.err().contains("--max-warmup"), r.err());
    }

    @Test
    void benchSparkTimesExactStepsOnly() {
        ReferenceCheckCommandTest.Run r = ReferenceCheckCommandTest.cli("bench", "spark", "--set",
                "train.local-steps=4");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("bench spark times exact steps") && r.err().contains("train.local-steps = 4"),
                r.err());
    }

    @Test
    void badShapeIsRejected() {
        ReferenceCheckCommandTest.Run r = ReferenceCheckCommandTest.cli("bench", "layer", "--shape", "2,2,5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("B,H,T,E"), r.err());
    }

    @Test
    void precisionPrintsErrorsPerSegment() {
        ReferenceCheckCommandTest.Run r = ReferenceCheckCommandTest.cli("bench", "precision", "--shape", "1,2,40,4",
                "--segment", "4,40");
        assertEquals(0, r.code(), r.err());
        assertEquals(4, r.out().lines().count(), r.out());
    }

    @Test
    void helpListsTheSubcommands() {
        ReferenceCheckCommandTest.Run r = ReferenceCheckCommandTest.cli("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("reference-check") && r.out().contains("bench"), r.out());
    }
}
