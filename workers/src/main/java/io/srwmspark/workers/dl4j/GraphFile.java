package io.srwmspark.workers.dl4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/**
 * A trained {@link FewShotGraph} on disk: DL4J's ModelSerializer zip (configuration, parameters, Adam state)
 * plus the run's effective configuration as entry {@value #CONFIG_ENTRY}, so that evaluation rebuilds the
 * same episodes and protocol from the file alone.
 *
 * @param graph      the network
 * @param configText the run's effective configuration
 */
public record GraphFile(ComputationGraph graph, String configText) {

    /** Entry of the zip holding the run's effective configuration. */
    public static final String CONFIG_ENTRY = "srwm-config";

    /** Writes to a temporary file in the same folder, then renames: a reader never sees half a model. */
    public static void write(ComputationGraph graph, String configText, Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            ModelSerializer.writeModel(graph, tmp.toFile(), true);
            ModelSerializer.addObjectToFile(tmp.toFile(), CONFIG_ENTRY, configText);
        } catch (IOException | RuntimeException ex) {
            Files.deleteIfExists(tmp);
            throw ex;
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads a file written by {@link #write}; an error names the file and what is missing. */
    public static GraphFile read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model " + file + " does not exist");
        }
        ComputationGraph graph;
        try {
            graph = ModelSerializer.restoreComputationGraph(file.toFile(), true);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException(file + " is not a DL4J ComputationGraph zip: " + ex.getMessage(), ex);
        }
        String config;
        try {
            config = ModelSerializer.getObjectFromFile(file.toFile(), CONFIG_ENTRY);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException(file + " carries no run configuration (entry " + CONFIG_ENTRY + ")",
                    ex);
        }
        if (config == null) {
            throw new IllegalArgumentException(file + " carries no run configuration (entry " + CONFIG_ENTRY + ")");
        }
        return new GraphFile(graph, config);
    }
}
