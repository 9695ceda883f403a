package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
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
