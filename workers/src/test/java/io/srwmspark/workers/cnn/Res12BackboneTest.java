package io.srwmspark.workers.cnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** {@link Res12Backbone}: naive float64 model, central differences, per-episode batch norm, threads. */
class Res12BackboneTest {

    private static NaiveCnn.T4 convBn(NaiveCnn.T4 in, ConvBn u, int group, double eps) {
        NaiveCnn.T4 z = NaiveCnn.conv(in, CnnTesting.values(u.weight()), null, u.outChannels(), u.kernel());
        return NaiveCnn.batchNorm(z, group, CnnTesting.values(u.gamma()), CnnTesting.values(u.beta()), eps);
    }

    /** The residual blocks with naive loops; no dropout. */
    static INDArray naiveFeatures(Res12Backbone.Config cfg, Res12Backbone.Params p, INDArray images, int group) {
        NaiveCnn.T4 x = CnnTesting.t4(images);
        double eps = cfg.bnEps();
        for (Res12Backbone.Block k : p.blocks()) {
            NaiveCnn.T4 h1 = NaiveCnn.map(convBn(x, k.conv1(), group, eps), NaiveCnn::leaky);
            NaiveCnn.T4 h2 = NaiveCnn.map(convBn(h1, k.conv2(), group, eps), NaiveCnn::leaky);
            NaiveCnn.T4 h3 = convBn(h2, k.conv3(), group, eps);
            NaiveCnn.T4 sc = convBn(x, k.shortcut(), group, eps);
            x = NaiveCnn.maxPool(NaiveCnn.map(NaiveCnn.add(h3, sc), NaiveCnn::leaky));
        }
        return Nd4j.create(x.v(), new long[] {x.n(), (long) x.c() * x.h() * x.w()}, DataType.DOUBLE);
    }

    static Stream<Arguments> referenceCases() {
        return Stream.of(
                Arguments.of(DataType.DOUBLE, new Res12Backbone.Config(2, 16, 18, List.of(3, 4, 5, 6), 0, 1e-5), 2,
                        1e-10),
                Arguments.of(DataType.FLOAT, Res12Backbone.Config.fc100(), 1, 2e-3));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("referenceCases")
    void featuresMatchNaiveLoops(DataType type, Res12Backbone.Config cfg, int groups, double tol) {
        Random rng = new Random(41);
        Res12Backbone net = new Res12Backbone(cfg);
        Res12Backbone.Params p = net.init(type, 3);
        CnnTesting.perturb(p, rng);
        int group = 2;
        INDArray images = CnnTesting.randn(rng, type, (long) groups * group, cfg.inChannels(), cfg.height(),
                cfg.width());
        INDArray got = net.forward(p, images, group, false, 0).features();
        assertArrayEquals(new long[] {(long) groups * group, cfg.features()}, got.shape());
        Res12Backbone.Params p64 = net.fromNamed(Conv4BackboneTest.castAll(p.named(), DataType.DOUBLE));
        INDArray want = naiveFeatures(cfg, p64, images.castTo(DataType.DOUBLE), group);
        double err = got.castTo(DataType.DOUBLE).sub(want).amaxNumber().doubleValue();
        assertTrue(err <= tol * Math.max(1, want.amaxNumber().doubleValue()), "max error " + err);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Random rng = new Random(43);
        Res12Backbone.Config cfg = new Res12Backbone.Config(2, 16, 16, List.of(3, 4, 5, 6), 0.2, 1e-5);
        Res12Backbone net = new Res12Backbone(cfg);
        Res12Backbone.Params p = net.init(DataType.DOUBLE, 7);
        CnnTesting.perturb(p, rng);
        int group = 2;
        INDArray images = CnnTesting.randn(rng, DataType.DOUBLE, 2 * group, 2, 16, 16);
        INDArray g = CnnTesting.randn(rng, DataType.DOUBLE, 2 * group, cfg.features());
        long seed = 99;
        Backbone.Forward f = net.forward(p, images, group, true, seed);
        Res12Backbone.Params grads = net.backward(p, f, g);
        java.util.function.DoubleSupplier loss = () -> {
            Backbone.Forward ff = net.forward(p, images, group, true, seed);
            ff.release();
            return ff.features().mul(g).sumNumber().doubleValue();
        };
        Map<String, INDArray> gp = grads.named();
        assertEquals(p.named().keySet(), gp.keySet());
        for (Map.Entry<String, INDArray> e : p.named().entrySet()) {
            INDArray grad = gp.get(e.getKey());
            assertArrayEquals(e.getValue().shape(), grad.shape(), e.getKey());
            CnnTesting.check(e.getKey(), e.getValue(), grad, CnnTesting.indices(e.getValue(), 10), loss, 1e-5, 1e-7);
        }
    }

    @Test
    void episodesAreIndependentAndThreadCountDoesNotMatter() {
        Random rng = new Random(47);
        Res12Backbone.Config cfg = new Res12Backbone.Config(3, 20, 20, List.of(16, 24, 32, 40), 0.1, 1e-5);
        int group = 3;
        INDArray episode = CnnTesting.randn(rng, DataType.FLOAT, group, 3, 20, 20);
        INDArray others = CnnTesting.randn(rng, DataType.FLOAT, 2 * group, 3, 20, 20);
        INDArray batch = Nd4j.concat(0, episode, others);
        INDArray g = CnnTesting.randn(rng, DataType.FLOAT, 3 * group, cfg.features());
        List<INDArray> results = new ArrayList<>();
        for (int threads : new int[] {1, 2}) {
            ForkJoinPool pool = new ForkJoinPool(threads);
            try {
                Res12Backbone net = new Res12Backbone(cfg, pool, null);
                Res12Backbone.Params p = net.init(DataType.FLOAT, 5);
                INDArray alone = net.forward(p, episode, group, true, 3).features();
                Backbone.Forward f = net.forward(p, batch, group, true, 3);
                assertEquals(alone, f.features().get(NDArrayIndex.interval(0, group), NDArrayIndex.all()));
                List<INDArray> flat = new ArrayList<>();
                flat.add(f.features().reshape(-1));
                net.backward(p, f, g).named().values().forEach(a -> flat.add(a.reshape(-1)));
                results.add(Nd4j.concat(0, flat.toArray(new INDArray[0])));
            } finally {
                pool.shutdown();
            }
        }
        assertEquals(results.get(0), results.get(1), "1 vs 2 threads");
    }

    @Test
    void configsAndNamesAndInvalidInput() {
        assertEquals(6400, Res12Backbone.Config.miniImageNet().features());
        assertEquals(1024, Res12Backbone.Config.fc100().features());
        Res12Backbone net = new Res12Backbone(new Res12Backbone.Config(1, 16, 16, List.of(2, 3, 4, 5), 0, 1e-5));
        Res12Backbone.Params p = net.init(DataType.FLOAT, 1);
        List<String> names = new ArrayList<>(p.named().keySet());
        assertEquals(48, names.size());
        assertEquals(List.of("block0.conv1.conv.weight", "block0.conv1.bn.gamma", "block0.conv1.bn.beta",
                "block0.conv2.conv.weight"), names.subList(0, 4));
        assertEquals(p.named(), net.fromNamed(p.named()).named());
        assertThrows(IllegalArgumentException.class, () -> new Res12Backbone.Config(1, 16, 16, List.of(2, 3), 0,
                1e-5));
        assertThrows(IllegalArgumentException.class,
                () -> net.forward(p, Nd4j.zeros(DataType.FLOAT, 4, 1, 16, 16), 3, false, 0));
        Backbone.Forward f = net.forward(p, Nd4j.zeros(DataType.FLOAT, 4, 1, 16, 16), 2, true, 0);
        assertThrows(IllegalArgumentException.class, () -> net.backward(p, f, Nd4j.zeros(DataType.FLOAT, 4, 4)));
        net.backward(p, f, Nd4j.zeros(DataType.FLOAT, 4, 5));
        assertThrows(IllegalStateException.class, () -> net.backward(p, f, Nd4j.zeros(DataType.FLOAT, 4, 5)));
    }
}
