package io.srwmspark.workers.cnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link Conv4Backbone}: against a naive float64 model, central differences in float64 (dropout and batch norm
 * on), per-episode batch norm, thread-count independence, output sizes of the paper's three configs, invalid
 * input.
 */
class Conv4BackboneTest {

    /** The paper's block order with naive loops; no dropout. */
    static INDArray naiveFeatures(Conv4Backbone.Config cfg, Conv4Backbone.Params p, INDArray images, int group) {
        NaiveCnn.T4 a = CnnTesting.t4(images);
        for (ConvBn u : p.blocks()) {
            NaiveCnn.T4 zz = NaiveCnn.conv(a, CnnTesting.values(u.weight()), CnnTesting.values(u.bias()),
                    u.outChannels(), 3);
            NaiveCnn.T4 y = NaiveCnn.batchNorm(zz, group, CnnTesting.values(u.gamma()), CnnTesting.values(u.beta()),
                    cfg.bnEps());
            a = NaiveCnn.map(NaiveCnn.maxPool(y), NaiveCnn::relu);
        }
        return Nd4j.create(a.v(), new long[] {a.n(), (long) a.c() * a.h() * a.w()}, DataType.DOUBLE);
    }

    static Stream<Arguments> referenceCases() {
        return Stream.of(
                Arguments.of(DataType.DOUBLE, new Conv4Backbone.Config(2, 16, 18, 5, 0.0, 1e-5), 2, 3, 1e-10),
                Arguments.of(DataType.DOUBLE, new Conv4Backbone.Config(1, 28, 28, 32, 0.0, 1e-5), 3, 2, 1e-10),
                Arguments.of(DataType.FLOAT, new Conv4Backbone.Config(1, 28, 28, 64, 0.0, 1e-5), 2, 4, 2e-3),
                Arguments.of(DataType.FLOAT, new Conv4Backbone.Config(3, 32, 32, 32, 0.0, 1e-5), 2, 2, 2e-3));
    }

    @ParameterizedTest(name = "{0} {1} groups={2}x{3}")
    @MethodSource("referenceCases")
    void featuresMatchNaiveLoops(DataType type, Conv4Backbone.Config cfg, int groups, int group, double tol) {
        Random rng = new Random(3);
        Conv4Backbone net = new Conv4Backbone(cfg);
        Conv4Backbone.Params p = net.init(type, 5);
        CnnTesting.perturb(p, rng);
        INDArray images = CnnTesting.randn(rng, type, (long) groups * group, cfg.inChannels(), cfg.height(),
                cfg.width());
        INDArray got = net.forward(p, images, group, false, 0).features();
        Conv4Backbone.Params p64 = net.fromNamed(castAll(p.named(), DataType.DOUBLE));
        INDArray want = naiveFeatures(cfg, p64, images.castTo(DataType.DOUBLE), group);
        assertArrayEquals(new long[] {(long) groups * group, cfg.features()}, got.shape());
        double err = got.castTo(DataType.DOUBLE).sub(want).amaxNumber().doubleValue();
        assertTrue(err <= tol * Math.max(1, want.amaxNumber().doubleValue()), "max error " + err);
    }

    static Map<String, INDArray> castAll(Map<String, INDArray> named, DataType type) {
        Map<String, INDArray> out = new java.util.LinkedHashMap<>();
        named.forEach((k, v) -> out.put(k, v.castTo(type)));
        return out;
    }

    static Stream<Arguments> gradientCases() {
        return Stream.of(
                // channels, dropout, entries checked per array (Integer.MAX_VALUE: all)
                Arguments.of(4, 0.3, Integer.MAX_VALUE),
                Arguments.of(20, 0.0, 12),
                Arguments.of(32, 0.2, 12));
    }

    @ParameterizedTest(name = "channels={0} dropout={1}")
    @MethodSource("gradientCases")
    void gradientsMatchFiniteDifferences(int channels, double dropout, int perArray) {
        Random rng = new Random(17);
        Conv4Backbone.Config cfg = new Conv4Backbone.Config(2, 16, 16, channels, dropout, 1e-5);
        Conv4Backbone net = new Conv4Backbone(cfg);
        Conv4Backbone.Params p = net.init(DataType.DOUBLE, 9);
        CnnTesting.perturb(p, rng);
        int group = 3;
        INDArray images = CnnTesting.randn(rng, DataType.DOUBLE, 2 * group, 2, 16, 16);
        INDArray g = CnnTesting.randn(rng, DataType.DOUBLE, 2 * group, cfg.features());
        long seed = 123;
        Backbone.Forward f = net.forward(p, images, group, true, seed);
        Conv4Backbone.Params grads = net.backward(p, f, g);
        java.util.function.DoubleSupplier loss = () -> {
            Backbone.Forward ff = net.forward(p, images, group, true, seed);
            ff.release();
            return ff.features().mul(g).sumNumber().doubleValue();
        };
        Map<String, INDArray> gp = grads.named();
        for (Map.Entry<String, INDArray> e : p.named().entrySet()) {
            INDArray grad = gp.get(e.getKey());
            assertArrayEquals(e.getValue().shape(), grad.shape(), e.getKey());
            // conv biases feed batch norm: their true gradient is 0, which the absolute floor covers
            double atol = 1e-7;
            CnnTesting.check(e.getKey(), e.getValue(), grad, CnnTesting.indices(e.getValue(), perArray), loss, 1e-5,
                    atol);
        }
    }

    @Test
    void episodeFeaturesDoNotDependOnOtherEpisodes() {
        Random rng = new Random(23);
        Conv4Backbone.Config cfg = new Conv4Backbone.Config(1, 20, 20, 16, 0.25, 1e-5);
        Conv4Backbone net = new Conv4Backbone(cfg);
        Conv4Backbone.Params p = net.init(DataType.FLOAT, 1);
        int group = 4;
        INDArray episode = CnnTesting.randn(rng, DataType.FLOAT, group, 1, 20, 20);
        INDArray others1 = CnnTesting.randn(rng, DataType.FLOAT, 3 * group, 1, 20, 20);
        INDArray others2 = CnnTesting.randn(rng, DataType.FLOAT, 3 * group, 1, 20, 20).muli(3).addi(1);
        for (boolean training : new boolean[] {false, true}) {
            INDArray alone = net.forward(p, episode, group, training, 4).features();
            INDArray in1 = net.forward(p, Nd4j.concat(0, episode, others1), group, training, 4).features();
            INDArray in2 = net.forward(p, Nd4j.concat(0, episode, others2), group, training, 4).features();
            INDArray first1 = in1.get(NDArrayIndex.interval(0, group), NDArrayIndex.all());
            INDArray first2 = in2.get(NDArrayIndex.interval(0, group), NDArrayIndex.all());
            assertEquals(alone, first1, "training=" + training);
            assertEquals(alone, first2, "training=" + training);
            assertNotEquals(in1.get(NDArrayIndex.interval(group, 2 * group), NDArrayIndex.all()),
                    in2.get(NDArrayIndex.interval(group, 2 * group), NDArrayIndex.all()));
        }
        // Normalizing over the whole batch would differ: the group size matters.
        INDArray batch = Nd4j.concat(0, episode, others2);
        assertNotEquals(net.forward(p, batch, group, false, 0).features(),
                net.forward(p, batch, 4 * group, false, 0).features());
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        Random rng = new Random(29);
        // 28x28: 2 images per chunk in block 0, so 6 chunks and 2 weight-gradient partials
        Conv4Backbone.Config cfg = new Conv4Backbone.Config(1, 28, 28, 32, 0.1, 1e-5);
        INDArray images = CnnTesting.randn(rng, DataType.FLOAT, 12, 1, 28, 28);
        INDArray g = CnnTesting.randn(rng, DataType.FLOAT, 12, 32);
        List<INDArray> results = new ArrayList<>();
        for (int threads : new int[] {1, 2, 3}) {
            ForkJoinPool pool = new ForkJoinPool(threads);
            try {
                Conv4Backbone net = new Conv4Backbone(cfg, pool);
                Conv4Backbone.Params p = net.init(DataType.FLOAT, 2);
                Backbone.Forward f = net.forward(p, images, 3, true, 8);
                Conv4Backbone.Params grads = net.backward(p, f, g);
                List<INDArray> flat = new ArrayList<>();
                flat.add(f.features().reshape(-1));
                grads.named().values().forEach(a -> flat.add(a.reshape(-1)));
                results.add(Nd4j.concat(0, flat.toArray(new INDArray[0])));
            } finally {
                pool.shutdown();
            }
        }
        assertEquals(results.get(0), results.get(1), "1 vs 2 threads");
        assertEquals(results.get(0), results.get(2), "1 vs 3 threads");
    }

    static Stream<Arguments> paperConfigs() {
        return Stream.of(Arguments.of(Conv4Backbone.Config.omniglot(), 64),
                Arguments.of(Conv4Backbone.Config.miniImageNet(), 800),
                Arguments.of(Conv4Backbone.Config.fc100(), 128));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paperConfigs")
    void outputSizesOfThePaperConfigs(Conv4Backbone.Config cfg, int features) {
        Conv4Backbone net = new Conv4Backbone(cfg);
        assertEquals(features, net.features());
        Conv4Backbone.Params p = net.init(DataType.FLOAT, 1);
        INDArray images = CnnTesting.randn(new Random(1), DataType.FLOAT, 4, cfg.inChannels(), cfg.height(),
                cfg.width());
        Backbone.Forward f = net.forward(p, images, 2, true, 1);
        assertArrayEquals(new long[] {4, features}, f.features().shape());
        Conv4Backbone.Params grads = net.backward(p, f, Nd4j.onesLike(f.features()));
        assertEquals(p.count(), grads.count());
    }

    @Test
    void parametersAreNamedInAFixedOrderAndCountLikeThePaper() {
        Conv4Backbone net = new Conv4Backbone(Conv4Backbone.Config.omniglot());
        Conv4Backbone.Params p = net.init(DataType.FLOAT, 1);
        assertEquals(111_936, p.count());   // the conv part of the paper's 1,342,021 (docs/DESIGN.md)
        List<String> names = new ArrayList<>(p.named().keySet());
        assertEquals(List.of("block0.conv.weight", "block0.conv.bias", "block0.bn.gamma", "block0.bn.beta"),
                names.subList(0, 4));
        assertEquals(16, names.size());
        Conv4Backbone.Params back = net.fromNamed(p.named());
        assertEquals(p.named(), back.named());
        assertEquals(p.named(), net.init(DataType.FLOAT, 1).named(), "init is a function of the seed");
        assertNotEquals(p.named(), net.init(DataType.FLOAT, 2).named());
        double bound = 1 / Math.sqrt(9.0);   // block 0: fan-in 1 x 3 x 3
        assertTrue(p.blocks().get(0).weight().amaxNumber().doubleValue() <= bound);
        assertEquals(1.0, p.blocks().get(1).gamma().minNumber().doubleValue());
        assertEquals(0.0, p.blocks().get(1).beta().amaxNumber().doubleValue());
    }

    @Test
    void invalidInputIsRejected() {
        Conv4Backbone net = new Conv4Backbone(new Conv4Backbone.Config(1, 28, 28, 8, 0.0, 1e-5));
        Conv4Backbone.Params p = net.init(DataType.FLOAT, 1);
        INDArray images = Nd4j.zeros(DataType.FLOAT, 6, 1, 28, 28);
        assertThrows(IllegalArgumentException.class, () -> net.forward(p, images, 4, false, 0));
        assertThrows(IllegalArgumentException.class,
                () -> net.forward(p, Nd4j.zeros(DataType.FLOAT, 6, 3, 28, 28), 3, false, 0));
        assertThrows(IllegalArgumentException.class,
                () -> net.forward(p, Nd4j.zeros(DataType.DOUBLE, 6, 1, 28, 28), 3, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new Conv4Backbone.Config(1, 8, 8, 4, 0, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> new Conv4Backbone.Config(1, 28, 28, 4, 1.0, 1e-5));
        Backbone.Forward eval = net.forward(p, images, 3, false, 0);
        assertNull(eval.tape());
        assertThrows(IllegalStateException.class, () -> net.backward(p, eval, Nd4j.zeros(DataType.FLOAT, 6, 8)));
        Backbone.Forward f = net.forward(p, images, 3, true, 0);
        assertThrows(IllegalArgumentException.class, () -> net.backward(p, f, Nd4j.zeros(DataType.FLOAT, 6, 7)));
        net.backward(p, f, Nd4j.zeros(DataType.FLOAT, 6, 8));
        assertThrows(IllegalStateException.class, () -> net.backward(p, f, Nd4j.zeros(DataType.FLOAT, 6, 8)),
                "a tape is used once");
    }
}
