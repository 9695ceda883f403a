package io.srwmspark.workers.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * One SRWM reference case: a folder with {@code case.json} and one {@code .npy} per array (format in
 * docs/reference-check.md). Kind {@code core} is the SRWM layer alone, kind {@code block} one few-shot SRWM
 * block (SRWM, output projection, layer norms, feed-forward).
 *
 * @param dir          the case folder
 * @param kind         {@code core} or {@code block}
 * @param batch        B
 * @param heads        H
 * @param steps        T
 * @param headSize     E
 * @param ffSize       dff of a block case (0 for core)
 * @param inputSoftmax core only: softmax over E applied to x first
 * @param lnEps        block only: layer-norm epsilon
 * @param inputs       array names read from the folder
 * @param outputs      array names to compute
 */
public record ReferenceCase(Path dir, String kind, int batch, int heads, int steps, int headSize, int ffSize,
        boolean inputSoftmax, double lnEps, List<String> inputs, List<String> outputs) {

    public static final String CORE = "core";
    public static final String BLOCK = "block";

    private static final List<String> CORE_INPUTS = List.of("x", "w_y", "w_q", "w_k", "w_b", "grad_out");
    private static final List<String> BLOCK_INPUTS = List.of("h", "w_y", "w_q", "w_k", "w_b", "w_out", "ln1_gamma",
            "ln1_beta", "ln2_gamma", "ln2_beta", "ff_w1", "ff_b1", "ff_w2", "ff_b2", "grad_out");

    /** Reads and validates {@code dir/case.json}; arrays are read later, by {@link #array}. */
    public static ReferenceCase load(Path dir) {
        Path json = dir.resolve("case.json");
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException("reference case " + dir + " has no case.json");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json.toFile());
        } catch (IOException ex) {
            throw new IllegalArgumentException(json + " is not valid JSON: " + ex.getMessage(), ex);
        }
        String kind = text(json, root, "kind");
        if (!CORE.equals(kind) && !BLOCK.equals(kind)) {
            throw new IllegalArgumentException(json + ": unknown kind '" + kind + "', expected 'core' or 'block'");
        }
        int b = positive(json, root, "B");
        int h = positive(json, root, "H");
        int t = positive(json, root, "T");
        int e = positive(json, root, "E");
        int dff = 0;
        double eps = 1e-5;
        if (BLOCK.equals(kind)) {
            dff = positive(json, root, "dff");
            if (root.has("D") && root.get("D").asInt() != h * e) {
                throw new IllegalArgumentException(json + ": D = " + root.get("D").asInt() + " but H*E = " + (h * e));
            }
            if (root.has("ln_eps")) {
                eps = root.get("ln_eps").asDouble();
            }
        }
        boolean softmax = root.has("input_softmax") && root.get("input_softmax").asBoolean();
        if (softmax && BLOCK.equals(kind)) {
            throw new IllegalArgumentException(json + ": input_softmax applies to kind 'core' only");
        }
        List<String> inputs = names(json, root, "inputs");
        List<String> outputs = names(json, root, "outputs");
        List<String> required = CORE.equals(kind) ? CORE_INPUTS : BLOCK_INPUTS;
        for (String r : required) {
            if (!inputs.contains(r)) {
                throw new IllegalArgumentException(json + ": 'inputs' must list '" + r + "' for kind " + kind);
            }
        }
        ReferenceCase c = new ReferenceCase(dir, kind, b, h, t, e, dff, softmax, eps, inputs, outputs);
        for (String o : outputs) {
            c.expectedShape(o);
        }
        return c;
    }

    /** The shape an input or output array must have in this case. */
    public long[] expectedShape(String name) {
        long bb = batch;
        long hh = heads;
        long tt = steps;
        long ee = headSize;
        long d = hh * ee;
        String base = name;
        List<String> known = CORE.equals(kind) ? CORE_INPUTS : BLOCK_INPUTS;
        if (name.startsWith("d") && known.contains(name.substring(1))) {
            base = name.substring(1);
        }
        if (CORE.equals(kind)) {
            switch (name) {
                case "y", "dx", "x", "grad_out":
                    return new long[] {bb, hh, tt, ee};
                case "final_w_y", "final_w_q", "final_w_k":
                    return new long[] {bb, hh, ee, ee};
                case "final_w_b":
                    return new long[] {bb, hh, ee, 4};
                default:
                    break;
            }
        } else {
            switch (base) {
                case "h", "out", "grad_out":
                    return new long[] {tt, bb, d};
                case "w_out":
                    return new long[] {d, d};
                case "ln1_gamma", "ln1_beta", "ln2_gamma", "ln2_beta", "ff_b2":
                    return new long[] {d};
                case "ff_w1":
                    return new long[] {d, ffSize};
                case "ff_b1":
                    return new long[] {ffSize};
                case "ff_w2":
                    return new long[] {ffSize, d};
                default:
                    break;
            }
        }
        switch (base) {
            case "w_y", "w_q", "w_k":
                return new long[] {hh, ee, ee};
            case "w_b":
                return new long[] {hh, ee, 4};
            default:
                throw new IllegalArgumentException(dir.resolve("case.json") + ": unknown array '" + name
                        + "' for kind " + kind);
        }
    }

    /** Reads {@code name.npy}, checks its shape and converts it to {@code type}. */
    public INDArray array(String name, DataType type) {
        Path file = dir.resolve(name + ".npy");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("reference case " + dir + ": missing " + file.getFileName()
                    + " (expected shape " + Arrays.toString(expectedShape(name)) + ")");
        }
        INDArray a = Npy.read(file);
        long[] expected = expectedShape(name);
        if (!Arrays.equals(a.shape(), expected)) {
            throw new IllegalArgumentException(file + " has shape " + Arrays.toString(a.shape()) + ", expected "
                    + Arrays.toString(expected));
        }
        return a.dataType() == type ? a : a.castTo(type);
    }

    private static String text(Path json, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isTextual()) {
            throw new IllegalArgumentException(json + ": missing string '" + key + "'");
        }
        return n.asText();
    }

    private static int positive(Path json, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.canConvertToInt() || n.asInt() < 1) {
            throw new IllegalArgumentException(json + ": '" + key + "' must be an integer >= 1, got " + n);
        }
        return n.asInt();
    }

    private static List<String> names(Path json, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isArray()) {
            throw new IllegalArgumentException(json + ": missing list '" + key + "'");
        }
        List<String> out = new ArrayList<>();
        n.forEach(v -> out.add(v.asText()));
        return List.copyOf(out);
    }
}
