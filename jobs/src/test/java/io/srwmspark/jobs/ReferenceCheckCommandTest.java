package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.io.Npy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;

class ReferenceCheckCommandTest {

    @TempDir
    Path tmp;

    /** Runs the CLI, returning exit code, stdout and stderr. */
    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine line = SrwmCli.commandLine();
        line.setOut(new PrintWriter(out));
        line.setErr(new PrintWriter(err));
        int code = line.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static Path sampleCase(Path tmp, String name) throws IOException {
        Path dst = tmp.resolve(name);
        Files.createDirectories(dst);
        Path src = Path.of("..", "workers", "src", "test", "resources", "reference", "srwm", name);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"core-tiny,float64,1e-9", "core-rl-softmax,float64,1e-9", "core-tiny,float32,1e-4"})
    void writesEveryOutputMatchingTheCase(String name, String dtype, double tol) throws IOException {
        Path c = sampleCase(tmp, name);
        Path out = tmp.resolve("out");
        Run r = cli("reference-check", "--case", c.toString(), "--out", out.toString(), "--dtype", dtype);
        assertEquals(0, r.code(), r.err());
        for (String o : new String[] {"y", "final_w_y", "final_w_q", "final_w_k", "final_w_b", "dx", "dw_y", "dw_q",
            "dw_k", "dw_b"}) {
            INDArray ours = Npy.read(out.resolve(o + ".npy"));
            INDArray ref = Npy.read(c.resolve(o + ".npy"));
            assertEquals(dtype.equals("float64") ? DataType.DOUBLE : DataType.FLOAT, ours.dataType(), o);
            double rel = ours.castTo(DataType.DOUBLE).sub(ref).amaxNumber().doubleValue()
                    / ref.amaxNumber().doubleValue();
            assertTrue(rel <= tol, o + ": " + rel);
        }
        assertTrue(r.out().contains("wrote 10 arrays"), r.out());
    }

    @Test
    void missingInputNamesTheFileAndShape() throws IOException {
        Path c = sampleCase(tmp, "core-tiny");
        Files.delete(c.resolve("w_q.npy"));
        Run r = cli("reference-check", "--case", c.toString(), "--out", tmp.resolve("o").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("w_q.npy") && r.err().contains("[3, 4, 4]"), r.err());
    }

    @Test
    void wrongShapeNamesTheFileAndExpectedShape() throws IOException {
        Path c = sampleCase(tmp, "core-tiny");
        Npy.write(Nd4j.zeros(DataType.DOUBLE, 3, 4, 5), c.resolve("w_k.npy"));
        Run r = cli("reference-check", "--case", c.toString(), "--out", tmp.resolve("o").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("w_k.npy") && r.err().contains("[3, 4, 5]") && r.err().contains("[3, 4, 4]"),
                r.err());
    }

    @Test
    void notAnNpyFileIsNamed() throws IOException {
        Path c = sampleCase(tmp, "core-tiny");
        Files.writeString(c.resolve("x.npy"), "hello", StandardCharsets.UTF_8);
        Run r = cli("reference-check", "--case", c.toString(), "--out", tmp.resolve("o").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("x.npy") && r.err().contains("not a .npy"), r.err());
    }

    @Test
    void unknownKindIsRejected() throws IOException {
        Path c = sampleCase(tmp, "core-tiny");
        String json = Files.readString(c.resolve("case.json")).replace("\"core\"", "\"attention\"");
        Files.writeString(c.resolve("case.json"), json);
        Run r = cli("reference-check", "--case", c.toString(), "--out", tmp.resolve("o").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("unknown kind 'attention'"), r.err());
    }

    @Test
    void unknownKernelAndDtypeAreRejected() throws IOException {
        Path c = sampleCase(tmp, "core-tiny");
        Run k = cli("reference-check", "--case", c.toString(), "--out", tmp.resolve("o").toString(), "--kernel", "gpu");
        assertNotEquals(0, k.code());
        assertTrue(k.err().contains("unknown SRWM kernel 'gpu'"), k.err());
        Run d = cli("reference-check", "--case", c.toString(), "--out", tmp.resolve("o").toString(), "--dtype", "f16");
        assertNotEquals(0, d.code());
        assertTrue(d.err().contains("--dtype"), d.err());
    }
}
