package io.srwmspark.workers.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.dl4j.SrwmGraphs.Shape;
import io.srwmspark.workers.srwm.FastWeights;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryUseMode;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;

/** Configuration JSON, ModelSerializer round trips, parameter layout and initialisation of both SRWM layers. */
class SrwmLayerSerializationTest {

    private static final Shape SHAPE = new Shape("serial", 2, 2, 3, 4, 5, false);

    private static Layer configured(boolean rl) {
        return rl
                ? new SrwmRlBlockLayer.Builder().name("srwm").heads(2).headSize(3).ffSize(5).dropout(0.1)
                        .kernel("cpu").seed(99).layerNormEps(1e-6).build()
                : new SrwmBlockLayer.Builder().name("srwm").heads(2).headSize(3).ffSize(5).dropout(0.1)
                        .kernel("cpu").seed(99).layerNormEps(1e-6).build();
    }

    @ParameterizedTest(name = "rl = {0}")
    @ValueSource(booleans = {false, true})
    void jsonRoundTripGivesAnEqualConfiguration(boolean rl) {
        ComputationGraphConfiguration conf = SrwmGraphs.config(configured(rl), 6, 2, RNNFormat.NCW, new Adam(1e-3),
                WorkspaceMode.ENABLED, null);
        String json = conf.toJson();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        assertEquals(conf, back);
        assertEquals(json, back.toJson());
        AbstractSrwmLayer layer = (AbstractSrwmLayer) ((LayerVertex) back.getVertices().get(SrwmGraphs.SRWM))
                .getLayerConf().getLayer();
        assertEquals(rl ? SrwmRlBlockLayer.class : SrwmBlockLayer.class, layer.getClass());
        assertEquals(2, layer.getHeads());
        assertEquals(3, layer.getHeadSize());
        assertEquals(5, layer.getFfSize());
        assertEquals(0.1, layer.getDropout());
        assertEquals("cpu", layer.getKernel());
        assertEquals(99L, layer.getSeed());
        assertEquals(1e-6, layer.getLayerNormEps());
        assertEquals(6, layer.getNIn());
        assertEquals(6, layer.getNOut());
        // YAML too, and a different configuration is not equal.
        assertEquals(conf, ComputationGraphConfiguration.fromYaml(conf.toYaml()));
        ComputationGraphConfiguration other = SrwmGraphs.config(SrwmGraphs.layer(rl, SHAPE, RNNFormat.NCW), 6, 2,
                RNNFormat.NCW, new Adam(1e-3), WorkspaceMode.ENABLED, null);
        assertNotEquals(conf, other);
    }

    @ParameterizedTest(name = "rl = {0}")
    @ValueSource(booleans = {false, true})
    void modelSerializerRoundTripGivesIdenticalOutputs(boolean rl, @TempDir Path dir) throws IOException {
        Random rng = new Random(rl ? 41 : 42);
        ComputationGraph g = SrwmGraphs.graph(rl, SHAPE);
        SrwmGraphs.perturb(g, rng, 0.1);
        INDArray x = SrwmGraphs.randn(rng, 1.0, SHAPE.batch(), SHAPE.width(), SHAPE.steps());
        INDArray y = SrwmGraphs.randn(rng, 1.0, SHAPE.batch(), 2, SHAPE.steps());
        g.fit(new org.nd4j.linalg.dataset.DataSet(x, y));
        File file = dir.resolve("model.zip").toFile();
        ModelSerializer.writeModel(g, file, true);
        ComputationGraph back = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(g.getConfiguration(), back.getConfiguration());
        assertEquals(g.params(), back.params());
        assertEquals(g.outputSingle(x), back.outputSingle(x));
        assertEquals(g.getLayer(SrwmGraphs.SRWM).getClass(), back.getLayer(SrwmGraphs.SRWM).getClass());
    }

    @Test
    void parametersAreViewsWithTheDocumentedLayoutAndInit() {
        ComputationGraph g = SrwmGraphs.graph(false, SHAPE);
        org.deeplearning4j.nn.api.Layer layer = g.getLayer(SrwmGraphs.SRWM);
        Map<String, INDArray> table = layer.paramTable();
        assertEquals(List.of(SrwmParamInitializer.W0, SrwmParamInitializer.W_OUT, SrwmParamInitializer.LN1_GAMMA,
                SrwmParamInitializer.LN1_BETA, SrwmParamInitializer.LN2_GAMMA, SrwmParamInitializer.LN2_BETA,
                SrwmParamInitializer.FF_W1, SrwmParamInitializer.FF_B1, SrwmParamInitializer.FF_W2,
                SrwmParamInitializer.FF_B2), List.copyOf(table.keySet()));
        int d = SHAPE.width();
        int c = 3 * SHAPE.headSize() + 4;
        assertEquals(SHAPE.heads() * SHAPE.headSize() * c + d * d + 4 * d + 2 * d * 5 + 5 + d, layer.numParams());
        assertEquals(List.of(2L, 3L, (long) c), List.of(table.get("w0").shape()[0], table.get("w0").shape()[1],
                table.get("w0").shape()[2]));
        assertEquals(1.0, table.get(SrwmParamInitializer.LN1_GAMMA).minNumber().doubleValue());
        assertEquals(0.0, table.get(SrwmParamInitializer.FF_B1).amaxNumber().doubleValue());
        double a = Math.sqrt(6.0 / (d + d));
        assertTrue(table.get(SrwmParamInitializer.W_OUT).amaxNumber().doubleValue() <= a);
        // W_0 is FastWeights.init with the layer's seed.
        long seed = ((AbstractSrwmLayer) layer.conf().getLayer()).seedIn(layer.conf());
        assertEquals(FastWeights.init(SHAPE.heads(), SHAPE.headSize(), DataType.DOUBLE, seed), table.get("w0"));
        // Views: writing the flat vector changes the parameter.
        layer.params().putScalar(0, 42.0);
        assertEquals(42.0, table.get("w0").getDouble(0, 0, 0));
        // Two SRWM layers of one network with no explicit seed start from different W_0.
        ComputationGraph two = new ComputationGraph(new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(5).graphBuilder().addInputs("in")
                .setInputTypes(InputType.recurrent(d))
                .addLayer("a", SrwmGraphs.layer(false, SHAPE, RNNFormat.NCW), "in")
                .addLayer("b", SrwmGraphs.layer(false, SHAPE, RNNFormat.NCW), "a")
                .setOutputs("b").build());
        two.init();
        assertNotEquals(two.getLayer("a").getParam("w0"), two.getLayer("b").getParam("w0"));
    }

    @Test
    void memoryReportCountsParametersAndWorkingMemory() {
        ComputationGraphConfiguration conf = SrwmGraphs.config(configured(false), 6, 2, RNNFormat.NCW, new Adam(1e-3),
                WorkspaceMode.ENABLED, null);
        MemoryReport r = conf.getMemoryReport(InputType.recurrent(6, 10));
        long train = r.getTotalMemoryBytes(8, MemoryUseMode.TRAINING, CacheMode.NONE, DataType.DOUBLE);
        long infer = r.getTotalMemoryBytes(8, MemoryUseMode.INFERENCE, CacheMode.NONE, DataType.DOUBLE);
        assertTrue(train > infer && infer > 0, "training " + train + ", inference " + infer);
    }

    @Test
    void invalidConfigurationIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new SrwmBlockLayer.Builder().heads(2).headSize(3).ffSize(0).build());
        assertThrows(IllegalArgumentException.class,
                () -> new SrwmBlockLayer.Builder().heads(2).headSize(3).ffSize(4).kernel("gpu-magic").build());
        assertThrows(IllegalArgumentException.class,
                () -> new SrwmRlBlockLayer.Builder().heads(2).headSize(3).nIn(5).build());
        assertThrows(IllegalArgumentException.class,
                () -> new SrwmRlBlockLayer.Builder().heads(2).headSize(3).dropout(1.0).build());
        // Input width fixed by the graph differs from heads * headSize.
        Exception ex = assertThrows(RuntimeException.class, () -> new ComputationGraph(SrwmGraphs.config(
                SrwmGraphs.layer(true, SHAPE, RNNFormat.NCW), 7, 2, RNNFormat.NCW, new Adam(1e-3),
                WorkspaceMode.ENABLED, null)).init());
        assertTrue(String.valueOf(ex.getMessage()).contains("heads * headSize = 6")
                || String.valueOf(ex.getCause()).contains("heads * headSize = 6"), String.valueOf(ex));
    }
}
