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

import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The LSTM block, in both wirings, against central differences in float64 (every parameter, the input and the
 * initial state; L = sum(out * G) + sum(finalState * G_S)), float32 against float64, determinism in the dropout
 * seed, and its initialisation.
 */
class LstmBlockTest {

    private static final int D = 5;

    record Case(String name, int batch, int steps, int ffSize, boolean residual, boolean masked, double dropout,
            boolean state) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        return List.of(
                new Case("T = 1", 2, 1, 4, true, false, 0.0, false),
                new Case("masked step", 2, 3, 4, true, true, 0.0, false),
                new Case("mask, dropout, initial state, final-state gradient", 3, 4, 4, true, true, 0.25, true),
                new Case("plain LSTM layer, T = 1", 2, 1, 0, false, false, 0.0, false),
                new Case("plain, mask, dropout, initial state", 2, 4, 0, false, true, 0.3, true),
                new Case("plain with feed-forward, batch 1", 1, 4, 4, false, false, 0.0, true));
    }

    /** Random parameters, inputs and loss weights of a case, float64. */
    private static final class Problem {
        final LstmBlock block;
        final LstmBlock.Params p;
        final INDArray h;
        final INDArray s0;
        final INDArray mask;
        final INDArray g;
        final INDArray gs;

        Problem(Case c, long seed) {
            Random rng = new Random(seed);
            block = new LstmBlock(new LstmBlock.Config(D, c.ffSize, c.dropout, 1e-5, c.residual));
            p = new LstmBlock.Params(randn(rng, 0.5, D, 4 * D), randn(rng, 0.5, D, 4 * D), randn(rng, 0.5, 4 * D),
                    c.residual ? randn(rng, 0.3, D).addi(1.0) : null, c.residual ? randn(rng, 0.3, D) : null,
                    c.ffSize > 0 ? BlockChecks.ffWeights(rng, D, c.ffSize) : null);
            h = randn(rng, 1.0, c.batch, c.steps, D);
            s0 = c.state ? randn(rng, 0.5, c.batch, 2, D) : null;
            mask = c.masked ? BlockChecks.maskWithHole(DataType.DOUBLE, c.batch, c.steps, c.batch - 1, c.steps / 2)
                    : null;
            g = randn(rng, 1.0, c.batch, c.steps, D);
            gs = c.state ? randn(rng, 1.0, c.batch, 2, D) : null;
        }

        LstmBlock.Forward forward() {
            return block.forward(p, h, s0, mask, true, 77);
        }

        LstmBlock.Gradients backward(LstmBlock.Forward f) {
            return block.backward(p, f, g, gs);
        }

        double loss() {
            LstmBlock.Forward f = forward();
            double l = f.out().mul(g).sumNumber().doubleValue();
            return gs == null ? l : l + f.finalState().mul(gs).sumNumber().doubleValue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchCentralDifferences(Case c) {
        Problem pr = new Problem(c, 31);
        LstmBlock.Forward fwd = pr.forward();
        LstmBlock.Gradients grads = pr.backward(fwd);
        DoubleSupplier loss = pr::loss;
        Random rng = new Random(32);
        check("dh", pr.h, grads.dh(), loss, rng);
        check("dWx", pr.p.wx(), grads.dParams().wx(), loss, rng);
        check("dWh", pr.p.wh(), grads.dParams().wh(), loss, rng);
        check("dBias", pr.p.bias(), grads.dParams().bias(), loss, rng);
        if (c.residual) {
            check("dLn1Gamma", pr.p.ln1Gamma(), grads.dParams().ln1Gamma(), loss, rng);
            check("dLn1Beta", pr.p.ln1Beta(), grads.dParams().ln1Beta(), loss, rng);
        } else {
            assertNull(grads.dParams().ln1Gamma());
        }
        if (c.ffSize > 0) {
            checkFf("", pr.p.ff(), grads.dParams().ff(), loss, rng);
        } else {
            assertNull(grads.dParams().ff());
        }
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
    void aMaskedStepLeavesTheStateUntouched() {
        Case c = new Case("", 1, 3, 0, false, false, 0.0, true);
        Problem pr = new Problem(c, 33);
        INDArray last = BlockChecks.maskWithHole(DataType.DOUBLE, 1, 3, 0, 2);
        INDArray two = pr.h.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2), NDArrayIndex.all()).dup();
        LstmBlock.Forward masked = pr.block.forward(pr.p, pr.h, pr.s0, last, false, 0);
        LstmBlock.Forward shorter = pr.block.forward(pr.p, two, pr.s0, null, false, 0);
        // equal up to the rounding of the input product, whose blocking depends on the number of rows
        assertClose("final state", shorter.finalState(), masked.finalState(), 1e-14);
    }

    @Test
    void float32AgreesWithFloat64() {
        for (Case c : List.of(cases().get(2), cases().get(4))) {
            Problem pr = new Problem(c, 34);
            LstmBlock.Forward f64 = pr.forward();
            LstmBlock.Gradients g64 = pr.backward(f64);
            DataType f = DataType.FLOAT;
            LstmBlock.Params p32 = new LstmBlock.Params(pr.p.wx().castTo(f), pr.p.wh().castTo(f),
                    pr.p.bias().castTo(f), c.residual ? pr.p.ln1Gamma().castTo(f) : null,
                    c.residual ? pr.p.ln1Beta().castTo(f) : null, BlockChecks.cast(pr.p.ff(), f));
            LstmBlock.Forward f32 = pr.block.forward(p32, pr.h.castTo(f), pr.s0.castTo(f), pr.mask.castTo(f), true,
                    77);
            LstmBlock.Gradients g32 = pr.block.backward(p32, f32, pr.g.castTo(f), pr.gs.castTo(f));
            double tol = 1e-4;
            assertEquals(DataType.FLOAT, f32.out().dataType());
            assertClose(c + " out", f64.out(), f32.out(), tol);
            assertClose(c + " finalState", f64.finalState(), f32.finalState(), tol);
            assertClose(c + " dh", g64.dh(), g32.dh(), tol);
            assertClose(c + " dInitialState", g64.dInitialState(), g32.dInitialState(), tol);
            assertClose(c + " dWx", g64.dParams().wx(), g32.dParams().wx(), tol);
            assertClose(c + " dWh", g64.dParams().wh(), g32.dParams().wh(), tol);
            assertClose(c + " dBias", g64.dParams().bias(), g32.dParams().bias(), tol);
            if (c.ffSize > 0) {
                assertCloseFf(c.toString(), g64.dParams().ff(), g32.dParams().ff(), tol);
            }
        }
    }

    @Test
    void sameSeedSameResult() {
        Problem a = new Problem(cases().get(2), 35);
        Problem b = new Problem(cases().get(2), 35);
        LstmBlock.Forward fa = a.forward();
        LstmBlock.Forward fb = b.forward();
        LstmBlock.Gradients ga = a.backward(fa);
        LstmBlock.Gradients gb = b.backward(fb);
        assertIdentical("out", fa.out(), fb.out());
        assertIdentical("finalState", fa.finalState(), fb.finalState());
        assertIdentical("dh", ga.dh(), gb.dh());
        assertIdentical("dWh", ga.dParams().wh(), gb.dParams().wh());
        assertIdentical("dInitialState", ga.dInitialState(), gb.dInitialState());
        assertNotEquals(fa.out(), a.block.forward(a.p, a.h, a.s0, a.mask, true, 78).out());
        LstmBlock.Forward inf = a.block.forward(a.p, a.h, a.s0, a.mask, false, 1);
        assertNull(inf.tape());
        assertIdentical("inference", inf.out(), a.block.forward(a.p, a.h, a.s0, a.mask, false, 2).out());
        assertThrows(IllegalStateException.class, () -> a.block.backward(a.p, inf, a.g, null));
        fa.release();
        assertThrows(IllegalStateException.class, () -> a.backward(fa));
    }

    @Test
    void carryingTheFinalStateEqualsOneLongCall() {
        Problem pr = new Problem(new Case("", 2, 4, 4, true, false, 0.0, false), 36);
        INDArray first = pr.h.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 1), NDArrayIndex.all()).dup();
        INDArray rest = pr.h.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 4), NDArrayIndex.all()).dup();
        LstmBlock.Forward whole = pr.block.forward(pr.p, pr.h, null, null, false, 0);
        LstmBlock.Forward a = pr.block.forward(pr.p, first, null, null, false, 0);
        LstmBlock.Forward b = pr.block.forward(pr.p, rest, a.finalState(), null, false, 0);
        assertClose("final state", whole.finalState(), b.finalState(), 1e-12);
        assertClose("out", whole.out().get(NDArrayIndex.all(), NDArrayIndex.interval(1, 4), NDArrayIndex.all()),
                b.out(), 1e-12);
    }

    @Test
    void initialisationAndParameterCounts() {
        LstmBlock.Config residual = LstmBlock.Config.of(256, 1024);
        LstmBlock.Params p = LstmBlock.init(residual, DataType.FLOAT, 3);
        assertEquals(1_051_904L, residual.parameterCount());
        assertEquals(residual.parameterCount(), BlockChecks.count(p.wx(), p.wh(), p.bias(), p.ln1Gamma(),
                p.ln1Beta()) + BlockChecks.count(p.ff()));
        LstmBlock.Config plain = LstmBlock.Config.plain(256, 0.1);
        LstmBlock.Params q = LstmBlock.init(plain, DataType.FLOAT, 3);
        assertEquals(525_312L, plain.parameterCount());
        assertEquals(plain.parameterCount(), BlockChecks.count(q.wx(), q.wh(), q.bias()));
        assertNull(q.ln1Gamma());
        assertNull(q.ff());

        INDArray b = p.bias();
        assertEquals(0.0, b.get(NDArrayIndex.interval(0, 256)).amaxNumber().doubleValue(), "input-gate bias");
        assertEquals(1.0, b.get(NDArrayIndex.interval(256, 512)).minNumber().doubleValue(), "forget-gate bias");
        assertEquals(1.0, b.get(NDArrayIndex.interval(256, 512)).maxNumber().doubleValue(), "forget-gate bias");
        assertEquals(0.0, b.get(NDArrayIndex.interval(512, 1024)).amaxNumber().doubleValue(), "o and g biases");
        assertTrue(p.wh().amaxNumber().doubleValue() <= 1 / 16.0);
        assertIdentical("init is a function of the seed", p.wh(), LstmBlock.init(residual, DataType.FLOAT, 3).wh());
    }

    @Test
    void invalidInputIsRejected() {
        Problem pr = new Problem(cases().get(5), 37);
        Problem plain = new Problem(cases().get(3), 37);
        assertThrows(IllegalArgumentException.class, () -> new LstmBlock.Config(0, 4, 0.0, 1e-5, true));
        assertThrows(IllegalArgumentException.class, () -> new LstmBlock.Config(D, -1, 0.0, 1e-5, true));
        assertThrows(IllegalArgumentException.class, () -> new LstmBlock.Config(D, 4, 1.0, 1e-5, true));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> pr.block.forward(pr.p, randn(new Random(1), 1.0, 1, 4, D + 1), null, null, false, 0));
        assertTrue(ex.getMessage().contains("(B, T, " + D + ")"), ex.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> pr.block.forward(pr.p, pr.h.castTo(DataType.FLOAT), null, null, false, 0));
        assertThrows(IllegalArgumentException.class,
                () -> pr.block.forward(pr.p, pr.h, Nd4j.zeros(DataType.DOUBLE, 1, 2, D + 1), null, false, 0));
        // parameters that do not match the wiring
        assertThrows(IllegalArgumentException.class, () -> plain.block.forward(pr.p, plain.h, null, null, false, 0));
        assertThrows(IllegalArgumentException.class, () -> pr.block.forward(plain.p, pr.h, null, null, false, 0));
        ex = assertThrows(IllegalArgumentException.class,
                () -> new LstmBlock(LstmBlock.Config.of(D, 4)).forward(pr.p, pr.h, null, null, false, 0));
        assertTrue(ex.getMessage().contains("ln1 gamma"), ex.getMessage());
        LstmBlock.Forward f = pr.forward();
        assertThrows(IllegalArgumentException.class,
                () -> pr.block.backward(pr.p, f, pr.g, Nd4j.zeros(DataType.DOUBLE, 1, 2, D + 1)));
    }
}
