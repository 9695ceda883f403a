package io.srwmspark.workers.nn;

import static io.srwmspark.workers.nn.BlockChecks.assertClose;
import static io.srwmspark.workers.nn.BlockChecks.assertCloseFf;
import static io.srwmspark.workers.nn.BlockChecks.assertIdentical;
import static io.srwmspark.workers.nn.BlockChecks.check;
import static io.srwmspark.workers.nn.BlockChecks.checkFf;
import static io.srwmspark.workers.nn.BlockChecks.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.deltanet.DeltaRule;
import io.srwmspark.workers.srwm.CpuSrwmKernel;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The Delta Net block against central differences in float64 (every parameter, the input and the initial state;
 * loss L = sum(out * G) + sum(finalState * G_S)), float32 against float64, and determinism in the dropout seed
 * and the thread count.
 */
class DeltaNetBlockTest {

    private static ForkJoinPool one;
    private static ForkJoinPool two;

    @BeforeAll
    static void pools() {
        one = new ForkJoinPool(1);
        two = new ForkJoinPool(2);
    }

    @AfterAll
    static void shutdown() {
        one.shutdown();
        two.shutdown();
    }

    record Case(String name, int batch, int steps, int heads, int e, boolean masked, double dropout,
            boolean state) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        return List.of(
                new Case("T = 1", 2, 1, 2, 3, false, 0.0, false),
                new Case("batch 1", 1, 4, 2, 3, false, 0.0, false),
                new Case("one head", 2, 4, 1, 4, false, 0.0, false),
                new Case("masked step", 2, 4, 2, 3, true, 0.0, false),
                new Case("dropout", 2, 4, 2, 3, false, 0.3, false),
                new Case("mask, dropout, initial state, final-state gradient", 2, 5, 2, 3, true, 0.25, true));
    }

    /** Random parameters, inputs and loss weights of a case, float64. */
    private static final class Problem {
        final DeltaNetBlock block;
        final DeltaNetBlock.Params p;
        final INDArray h;
        final INDArray s0;
        final INDArray mask;
        final INDArray g;
        final INDArray gs;

        Problem(Case c, DeltaRule rule, long seed) {
            Random rng = new Random(seed);
            DeltaNetBlock.Config config = new DeltaNetBlock.Config(c.heads, c.e, 5, c.dropout, 1e-5);
            int d = config.width();
            block = new DeltaNetBlock(config, rule);
            p = new DeltaNetBlock.Params(randn(rng, 0.3, d).addi(1.0), randn(rng, 0.3, d),
                    randn(rng, 0.6, d, config.projectionWidth()), randn(rng, 0.4, d, d),
                    BlockChecks.ffWeights(rng, d, 5));
            h = randn(rng, 1.0, c.batch, c.steps, d);
            s0 = c.state ? randn(rng, 0.5, c.batch, c.heads, c.e, c.e) : null;
            mask = c.masked ? BlockChecks.maskWithHole(DataType.DOUBLE, c.batch, c.steps, c.batch - 1, c.steps / 2)
                    : null;
            g = randn(rng, 1.0, c.batch, c.steps, d);
            gs = c.state ? randn(rng, 1.0, c.batch, c.heads, c.e, c.e) : null;
        }

        DeltaNetBlock.Forward forward() {
            return block.forward(p, h, s0, mask, true, 77);
        }

        DeltaNetBlock.Gradients backward(DeltaNetBlock.Forward f) {
            return block.backward(p, f, g, gs);
        }

        double loss() {
            DeltaNetBlock.Forward f = forward();
            double l = f.out().mul(g).sumNumber().doubleValue();
            return gs == null ? l : l + f.finalState().mul(gs).sumNumber().doubleValue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchCentralDifferences(Case c) {
        Problem pr = new Problem(c, new DeltaRule(two, 2, CpuSrwmKernel.VECTOR_API_AVAILABLE), 21);
        DeltaNetBlock.Forward fwd = pr.forward();
        DeltaNetBlock.Gradients grads = pr.backward(fwd);
        DoubleSupplier loss = pr::loss;
        Random rng = new Random(22);
        check("dh", pr.h, grads.dh(), loss, rng);
        check("dLn1Gamma", pr.p.ln1Gamma(), grads.dParams().ln1Gamma(), loss, rng);
        check("dLn1Beta", pr.p.ln1Beta(), grads.dParams().ln1Beta(), loss, rng);
        check("dWSlow", pr.p.wSlow(), grads.dParams().wSlow(), loss, rng);
        check("dWOut", pr.p.wOut(), grads.dParams().wOut(), loss, rng);
        checkFf("", pr.p.ff(), grads.dParams().ff(), loss, rng);
        if (c.state) {
            check("dInitialState", pr.s0, grads.dInitialState(), loss, rng);
        } else {
            assertNull(grads.dInitialState());
        }
        if (c.masked) {
            INDArray step = fwd.out().get(NDArrayIndex.point(c.batch - 1), NDArrayIndex.point(c.steps / 2),
                    NDArrayIndex.all());
            assertEquals(0.0, step.amaxNumber().doubleValue(), "a masked step outputs 0");
            INDArray dStep = grads.dh().get(NDArrayIndex.point(c.batch - 1), NDArrayIndex.point(c.steps / 2),
                    NDArrayIndex.all());
            assertEquals(0.0, dStep.amaxNumber().doubleValue(), "a masked step passes no gradient");
        }
    }

    @Test
    void float32AgreesWithFloat64() {
        Case c = cases().get(5);
        Problem pr = new Problem(c, new DeltaRule(), 23);
        DeltaNetBlock.Forward f64 = pr.forward();
        DeltaNetBlock.Gradients g64 = pr.backward(f64);
        DataType f = DataType.FLOAT;
        DeltaNetBlock.Params p32 = new DeltaNetBlock.Params(pr.p.ln1Gamma().castTo(f), pr.p.ln1Beta().castTo(f),
                pr.p.wSlow().castTo(f), pr.p.wOut().castTo(f), BlockChecks.cast(pr.p.ff(), f));
        DeltaNetBlock.Forward f32 = pr.block.forward(p32, pr.h.castTo(f), pr.s0.castTo(f), pr.mask.castTo(f), true,
                77);
        DeltaNetBlock.Gradients g32 = pr.block.backward(p32, f32, pr.g.castTo(f), pr.gs.castTo(f));
        double tol = 1e-4;
        assertEquals(DataType.FLOAT, f32.out().dataType());
        assertClose("out", f64.out(), f32.out(), tol);
        assertClose("finalState", f64.finalState(), f32.finalState(), tol);
        assertClose("dh", g64.dh(), g32.dh(), tol);
        assertClose("dInitialState", g64.dInitialState(), g32.dInitialState(), tol);
        assertClose("dWSlow", g64.dParams().wSlow(), g32.dParams().wSlow(), tol);
        assertClose("dWOut", g64.dParams().wOut(), g32.dParams().wOut(), tol);
        assertClose("dLn1Gamma", g64.dParams().ln1Gamma(), g32.dParams().ln1Gamma(), tol);
        assertCloseFf("", g64.dParams().ff(), g32.dParams().ff(), tol);
    }

    @Test
    void sameSeedSameResultWhateverTheThreadCount() {
        Case c = new Case("", 3, 6, 4, 4, true, 0.4, true);
        Problem a = new Problem(c, new DeltaRule(one, 2, CpuSrwmKernel.VECTOR_API_AVAILABLE), 24);
        Problem b = new Problem(c, new DeltaRule(two, 4, CpuSrwmKernel.VECTOR_API_AVAILABLE), 24);
        DeltaNetBlock.Forward fa = a.forward();
        DeltaNetBlock.Forward fb = b.forward();
        DeltaNetBlock.Gradients ga = a.backward(fa);
        DeltaNetBlock.Gradients gb = b.backward(fb);
        assertIdentical("out", fa.out(), fb.out());
        assertIdentical("finalState", fa.finalState(), fb.finalState());
        assertIdentical("dh", ga.dh(), gb.dh());
        assertIdentical("dInitialState", ga.dInitialState(), gb.dInitialState());
        assertIdentical("dWSlow", ga.dParams().wSlow(), gb.dParams().wSlow());
        assertIdentical("dWOut", ga.dParams().wOut(), gb.dParams().wOut());
        assertIdentical("dLn1Gamma", ga.dParams().ln1Gamma(), gb.dParams().ln1Gamma());
        // another dropout seed gives another output; inference ignores the seed and keeps no tape
        assertNotEquals(fa.out(), a.block.forward(a.p, a.h, a.s0, a.mask, true, 78).out());
        DeltaNetBlock.Forward inf = a.block.forward(a.p, a.h, a.s0, a.mask, false, 1);
        assertNull(inf.tape());
        assertIdentical("inference", inf.out(), a.block.forward(a.p, a.h, a.s0, a.mask, false, 2).out());
        assertThrows(IllegalStateException.class, () -> a.block.backward(a.p, inf, a.g, null));
        fa.release();
        assertThrows(IllegalStateException.class, () -> a.backward(fa));
    }

    @Test
    void carryingTheFinalStateEqualsOneLongCall() {
        Problem pr = new Problem(new Case("", 2, 5, 2, 3, false, 0.0, false), new DeltaRule(), 25);
        INDArray first = pr.h.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2), NDArrayIndex.all()).dup();
        INDArray rest = pr.h.get(NDArrayIndex.all(), NDArrayIndex.interval(2, 5), NDArrayIndex.all()).dup();
        DeltaNetBlock.Forward whole = pr.block.forward(pr.p, pr.h, null, null, false, 0);
        DeltaNetBlock.Forward a = pr.block.forward(pr.p, first, null, null, false, 0);
        DeltaNetBlock.Forward b = pr.block.forward(pr.p, rest, a.finalState(), null, false, 0);
        assertClose("final state", whole.finalState(), b.finalState(), 1e-12);
        assertClose("out", whole.out().get(NDArrayIndex.all(), NDArrayIndex.interval(2, 5), NDArrayIndex.all()),
                b.out(), 1e-12);
    }

    @Test
    void paperSizedBlockHasTheDocumentedParameterCount() {
        DeltaNetBlock.Config config = DeltaNetBlock.Config.of(16, 16, 1024);
        DeltaNetBlock.Params p = DeltaNetBlock.init(config, DataType.FLOAT, 1);
        long n = BlockChecks.count(p.ln1Gamma(), p.ln1Beta(), p.wSlow(), p.wOut()) + BlockChecks.count(p.ff());
        assertEquals(792_832L, config.parameterCount());
        assertEquals(config.parameterCount(), n);
        assertIdentical("init is a function of the seed", p.wSlow(), DeltaNetBlock.init(config, DataType.FLOAT, 1)
                .wSlow());
        assertEquals(1.0, p.ln1Gamma().minNumber().doubleValue());
        double bound = Math.sqrt(6.0 / (256 + 16 * 49));
        assertTrue(p.wSlow().amaxNumber().doubleValue() <= bound);
    }

    @Test
    void invalidInputIsRejected() {
        Problem pr = new Problem(cases().get(1), new DeltaRule(), 26);
        DeltaNetBlock block = pr.block;
        assertThrows(IllegalArgumentException.class, () -> new DeltaNetBlock.Config(0, 3, 5, 0.0, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> new DeltaNetBlock.Config(2, 3, 5, 1.0, 1e-5));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> block.forward(pr.p, randn(new Random(1), 1.0, 1, 4, 7), null, null, false, 0));
        assertTrue(ex.getMessage().contains("(B, T, 6)"), ex.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> block.forward(pr.p, pr.h.castTo(DataType.FLOAT), null, null, false, 0));
        DeltaNetBlock.Params wrong = new DeltaNetBlock.Params(pr.p.ln1Gamma(), pr.p.ln1Beta(),
                randn(new Random(2), 1.0, 6, 18), pr.p.wOut(), pr.p.ff());
        ex = assertThrows(IllegalArgumentException.class, () -> block.forward(wrong, pr.h, null, null, false, 0));
        assertTrue(ex.getMessage().contains("w_slow"), ex.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> block.forward(pr.p, pr.h, randn(new Random(3), 1.0, 1, 2, 3, 4), null, false, 0));
        assertThrows(IllegalArgumentException.class,
                () -> block.forward(pr.p, pr.h, null, BlockChecks.maskWithHole(DataType.DOUBLE, 1, 5, 0, 0), false,
                        0));
    }
}
