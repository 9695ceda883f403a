package io.srwmspark.workers.dl4j;

import io.srwmspark.workers.store.RunStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /**
     * Writes {@code name} in the run folder {@code run} (a local folder or any Hadoop URI): the zip is built in a
     * local temporary file, then written under a temporary name in the folder and renamed
     * ({@link RunStore#writeBytes}), so a reader never sees half a model.
     */
    public static void write(ComputationGraph graph, String configText, RunStore run, String name) throws IOException {
        Path tmp = Files.createTempFile("srwm-graph", ".zip");
        try {
            ModelSerializer.writeModel(graph, tmp.toFile(), true);
            ModelSerializer.addObjectToFile(tmp.toFile(), CONFIG_ENTRY, configText);
            run.writeBytes(name, Files.readAllBytes(tmp));
        } finally {
            Files.deleteIfExists(tmp);
        }
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
