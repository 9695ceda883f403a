package io.srwmspark.workers.srwm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.SpecifiedIndex;

/**
 * What every {@link SrwmKernel} must do, checked on small random float64 problems: gradients agree with central
 * differences, masks behave as documented, the two kernels agree, and bad input is refused with a clear message.
 */
class SrwmKernelContractTest {

    /** Central-difference step, and the check |analytic - numeric| &lt;= REL * max(|a|, |n|) + ABS. */
    private static final double EPS = 1e-6;
    private static final double REL = 1e-5;
    private static final double ABS = 1e-7;

    /**
     * A kernel by label: a name of {@link SrwmKernels}, or {@code name/segment=S} for a kernel whose tape keeps a
     * checkpoint every S steps.
     */
    static SrwmKernel kernel(String label) {
        int slash = label.indexOf("/segment=");
        if (slash < 0) {
            return SrwmKernels.byName(label);
        }
        int segment = Integer.parseInt(label.substring(slash + "/segment=".length()));
        return switch (label.substring(0, slash)) {
            case "cpu" -> new CpuSrwmKernel(ForkJoinPool.commonPool(), segment);
            case "nd4j" -> new Nd4jSrwmKernel(segment);
            default -> throw new IllegalArgumentException(label);
        };
    }

    static Stream<String> kernelNames() {
        return SrwmKernels.NAMES.stream();
    }

    /**
     * One random problem. Options: an initial state per sequence, a mask with padded steps (some sequences padded
     * in the middle, at the start and at the end), input softmax, a gradient into the final state.
     */
    record Problem(String name, int batch, int heads, int steps, int headSize, boolean initialState, boolean mask,
            boolean inputSoftmax, boolean finalStateGrad, long seed) {

        int columns() {
            return 3 * headSize + 4;
        }

        @Override
        public String toString() {
            return name + " (" + batch + "," + heads + "," + steps + "," + headSize + ")";
        }
    }

    /** The arrays of a problem as flat float64 values, so a finite-difference step can change one entry. */
    static final class Data {
        final Problem p;
        final double[] x;
        final double[] weights;
        final double[] state;   // null without initial state
        final double[] mask;    // null without mask
        final double[] gradY;
        final double[] gradState;  // null without a final-state gradient

        Data(Problem p) {
            this.p = p;
            Random rng = new Random(p.seed());
            int c = p.columns();
            x = gaussian(rng, p.batch() * p.heads() * p.steps() * p.headSize(), 1.0);
            weights = gaussian(rng, p.heads() * p.headSize() * c, 1.0 / Math.sqrt(p.headSize()));
            state = p.initialState() ? gaussian(rng, p.batch() * p.heads() * p.headSize() * c,
                    1.0 / Math.sqrt(p.headSize())) : null;
            mask = p.mask() ? paddedMask(p.batch(), p.steps()) : null;
            gradY = gaussian(rng, x.length, 1.0);
            gradState = p.finalStateGrad() ? gaussian(rng, p.batch() * p.heads() * p.headSize() * c, 1.0) : null;
        }

        SrwmInput input() {
            int c = p.columns();
            return new SrwmInput(array(x, p.batch(), p.heads(), p.steps(), p.headSize()),
                    array(weights, p.heads(), p.headSize(), c),
                    state == null ? null : array(state, p.batch(), p.heads(), p.headSize(), c),
                    mask == null ? null : array(mask, p.batch(), p.steps()), p.inputSoftmax());
        }

        INDArray gradYArray() {
            return array(gradY, p.batch(), p.heads(), p.steps(), p.headSize());
        }

        INDArray gradStateArray() {
            return gradState == null ? null : array(gradState, p.batch(), p.heads(), p.headSize(), p.columns());
        }

        /** L = sum(y * gy) + sum(finalState * gs), from a forward without tape. */
        double loss(SrwmKernel kernel) {
            SrwmOutput out = kernel.forward(input(), false);
            double l = out.y().mul(gradYArray()).sumNumber().doubleValue();
            if (gradState != null) {
                l += out.finalState().mul(gradStateArray()).sumNumber().doubleValue();
            }
            return l;
        }
    }

    /** Sequence b is padded at steps t with (t + b) % 3 == 2: middle, end, and for b = 2 the first step. */
    static double[] paddedMask(int batch, int steps) {
        double[] m = new double[batch * steps];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                m[b * steps + t] = (t + b) % 3 == 2 ? 0 : 1;
            }
        }
        return m;
    }

    static double[] gaussian(Random rng, int n, double std) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextGaussian() * std;
        }
        return v;
    }

    static INDArray array(double[] v, long... shape) {
        return Nd4j.create(v.clone(), shape, DataType.DOUBLE);
    }

    // ---------------------------------------------------------------------------------------------------------
    // (a) gradients against central differences

    static Stream<Arguments> gradientCases() {
        List<Problem> problems = List.of(
                new Problem("plain", 2, 2, 5, 3, false, false, false, true, 1),
                new Problem("T=1", 2, 2, 1, 3, false, false, false, true, 2),
                new Problem("batch 1", 1, 2, 4, 3, false, false, false, true, 3),
                new Problem("one head", 2, 1, 4, 3, false, false, false, true, 4),
                new Problem("E=1", 2, 2, 4, 1, false, false, false, true, 5),
                new Problem("padded steps", 3, 2, 6, 2, false, true, false, true, 6),
                new Problem("input softmax", 2, 2, 5, 3, false, false, true, true, 7),
                new Problem("initial state", 2, 2, 4, 2, true, false, false, true, 8),
                new Problem("no final-state gradient", 2, 1, 4, 3, false, false, false, false, 9));
        Problem segmented = new Problem("initial state, padded, softmax", 3, 1, 7, 2, true, true, true, true, 10);
        List<Arguments> out = new ArrayList<>();
        for (String kernel : SrwmKernels.NAMES) {
            for (Problem p : problems) {
                out.add(Arguments.of(kernel, p));
            }
            for (String variant : new String[] {"", "/segment=1", "/segment=3"}) {
                out.add(Arguments.of(kernel + variant, segmented));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("gradientCases")
    void gradientsMatchCentralDifferences(String label, Problem p) {
        SrwmKernel kernel = kernel(label);
        Data data = new Data(p);
        SrwmInput in = data.input();
        SrwmGradients g = kernel.backward(in, kernel.forward(in, true), data.gradYArray(), data.gradStateArray());

        checkGradient(label + " " + p + " dx", g.dx(), data.x, data, kernel);
        if (p.initialState()) {
            assertEquals(0.0, g.dWeights().amaxNumber().doubleValue(), "dWeights must be zeros with an initial state");
            checkGradient(label + " " + p + " dInitialState", g.dInitialState(), data.state, data, kernel);
        } else {
            assertNull(g.dInitialState(), "dInitialState without an initial state");
            checkGradient(label + " " + p + " dWeights", g.dWeights(), data.weights, data, kernel);
        }
    }

    /** Compares every entry of an analytic gradient with (L(v + eps) - L(v - eps)) / 2 eps, changing v in place. */
    private static void checkGradient(String what, INDArray analytic, double[] values, Data data, SrwmKernel kernel) {
        double[] a = analytic.dup('c').data().asDouble();
        assertEquals(values.length, a.length, what + ": size");
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            values[i] = v + EPS;
            double plus = data.loss(kernel);
            values[i] = v - EPS;
            double minus = data.loss(kernel);
            values[i] = v;
            double numeric = (plus - minus) / (2 * EPS);
            double tol = REL * Math.max(Math.abs(a[i]), Math.abs(numeric)) + ABS;
            assertTrue(Math.abs(a[i] - numeric) <= tol,
                    what + "[" + i + "]: analytic " + a[i] + ", central difference " + numeric);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // (b) mask semantics

    /**
     * A padded step outputs 0, has zero dx, and leaves the state alone: each sequence gives the same outputs, final
     * state and gradients as a run of its real steps only, without a mask.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelNames")
    void paddedStepsAreSkipped(String name) {
        SrwmKernel kernel = kernel(name);
        Problem p = new Problem("mask", 3, 2, 7, 3, true, true, false, true, 21);
        Data data = new Data(p);
        int e = p.headSize();
        // garbage in padded steps must not leak anywhere
        for (int b = 0; b < p.batch(); b++) {
            for (int t = 0; t < p.steps(); t++) {
                if (data.mask[b * p.steps() + t] == 0) {
                    for (int h = 0; h < p.heads(); h++) {
                        for (int i = 0; i < e; i++) {
                            data.x[((b * p.heads() + h) * p.steps() + t) * e + i] = 50.0 * (i + 1);
                        }
                    }
                }
            }
        }
        SrwmInput in = data.input();
        SrwmOutput out = kernel.forward(in, true);
        SrwmGradients g = kernel.backward(in, out, data.gradYArray(), data.gradStateArray());

        for (int b = 0; b < p.batch(); b++) {
            int[] real = realSteps(data.mask, b, p.steps());
            INDArray xb = steps(sequence(in.x(), b), real);
            INDArray gyb = steps(sequence(data.gradYArray(), b), real);
            SrwmInput prefix = new SrwmInput(xb, in.weights(), sequence(in.initialState(), b), null, false);
            SrwmOutput ref = kernel.forward(prefix, true);
            SrwmGradients refG = kernel.backward(prefix, ref, gyb, sequence(data.gradStateArray(), b));

            int r = 0;
            for (int t = 0; t < p.steps(); t++) {
                INDArray yt = step(out.y(), b, t);
                INDArray dxt = step(g.dx(), b, t);
                if (data.mask[b * p.steps() + t] == 0) {
                    assertEquals(0.0, yt.amaxNumber().doubleValue(), name + ": y of padded step " + b + "," + t);
                    assertEquals(0.0, dxt.amaxNumber().doubleValue(), name + ": dx of padded step " + b + "," + t);
                } else {
                    assertClose(step(ref.y(), 0, r), yt, 1e-12, name + ": y " + b + "," + t);
                    assertClose(step(refG.dx(), 0, r), dxt, 1e-12, name + ": dx " + b + "," + t);
                    r++;
                }
            }
            assertClose(ref.finalState(), sequence(out.finalState(), b), 1e-12, name + ": final state of " + b);
            assertClose(refG.dInitialState(), sequence(g.dInitialState(), b), 1e-12, name + ": dS0 of " + b);
        }
    }

    /** Mask values other than 0 mean a real step, exactly like 1. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelNames")
    void anyNonZeroMaskValueIsARealStep(String name) {
        SrwmKernel kernel = kernel(name);
        Data data = new Data(new Problem("mask", 2, 2, 5, 3, false, true, false, true, 22));
        SrwmInput in = data.input();
        SrwmInput scaled = new SrwmInput(in.x(), in.weights(), null, in.mask().mul(3.5).castTo(DataType.FLOAT), false);
        SrwmOutput a = kernel.forward(in, false);
        SrwmOutput b = kernel.forward(scaled, false);
        assertClose(a.y(), b.y(), 0, name + ": y");
        assertClose(a.finalState(), b.finalState(), 0, name + ": final state");
    }

    private static int[] realSteps(double[] mask, int b, int steps) {
        return java.util.stream.IntStream.range(0, steps).filter(t -> mask[b * steps + t] != 0).toArray();
    }

    /** Sequence b of a (B, ...) array as a (1, ...) copy; null stays null. */
    private static INDArray sequence(INDArray a, int b) {
        if (a == null) {
            return null;
        }
        INDArrayIndex[] index = new INDArrayIndex[a.rank()];
        for (int i = 0; i < index.length; i++) {
            index[i] = i == 0 ? NDArrayIndex.interval(b, b + 1) : NDArrayIndex.all();
        }
        return a.get(index).dup('c');
    }

    /** Steps {@code steps} of a (1, H, T, E) array, as a (1, H, steps.length, E) copy. */
    private static INDArray steps(INDArray a, int[] steps) {
        long[] t = java.util.Arrays.stream(steps).asLongStream().toArray();
        return a.get(NDArrayIndex.all(), NDArrayIndex.all(), new SpecifiedIndex(t), NDArrayIndex.all()).dup('c');
    }

    /** (H, E) slice of a (B, H, T, E) array at sequence b, step t. */
    private static INDArray step(INDArray a, int b, int t) {
        return a.get(NDArrayIndex.point(b), NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all());
    }

    private static void assertClose(INDArray expected, INDArray actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double err = ReferenceCases.relativeError(actual, expected);
        assertTrue(err <= tol, what + ": relative error " + err + " > " + tol);
    }

    // ---------------------------------------------------------------------------------------------------------
    // (c) the two kernels agree

    static Stream<Problem> agreementCases() {
        return Stream.of(
                new Problem("mask and initial state", 3, 2, 40, 5, true, true, false, true, 31),
                new Problem("input softmax, no final-state gradient", 3, 2, 40, 5, false, true, true, false, 32));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("agreementCases")
    void cpuAndNd4jAgreeInFloat64(Problem p) {
        Data data = new Data(p);
        SrwmInput in = data.input();
        SrwmKernel cpu = SrwmKernels.byName("cpu");
        SrwmKernel nd4j = SrwmKernels.byName("nd4j");
        SrwmOutput a = cpu.forward(in, true);
        SrwmOutput b = nd4j.forward(in, true);
        SrwmGradients ga = cpu.backward(in, a, data.gradYArray(), data.gradStateArray());
        SrwmGradients gb = nd4j.backward(in, b, data.gradYArray(), data.gradStateArray());
        assertClose(a.y(), b.y(), 1e-10, "y");
        assertClose(a.finalState(), b.finalState(), 1e-10, "final state");
        assertClose(ga.dx(), gb.dx(), 1e-10, "dx");
        assertClose(ga.dWeights(), gb.dWeights(), 1e-10, "dWeights");
        if (p.initialState()) {
            assertClose(ga.dInitialState(), gb.dInitialState(), 1e-10, "dInitialState");
        } else {
            assertNull(gb.dInitialState());
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // (d) bad input and misuse

    @Test
    void inputNamesTheBadArgument() {
        Data data = new Data(new Problem("bad", 2, 2, 3, 2, true, true, false, true, 41));
        SrwmInput ok = data.input();
        INDArray x = ok.x();
        INDArray w = ok.weights();
        INDArray s0 = ok.initialState();
        INDArray m = ok.mask();
        assertMessage("input x", () -> new SrwmInput(x.reshape(2, 2, 6), w, null, null, false));
        assertMessage("input x", () -> new SrwmInput(x.castTo(DataType.INT32), w, null, null, false));
        assertMessage("weights", () -> new SrwmInput(x, Nd4j.zeros(DataType.DOUBLE, 2, 2, 9), null, null, false));
        assertMessage("weights", () -> new SrwmInput(x, w.castTo(DataType.FLOAT), null, null, false));
        assertMessage("initialState", () -> new SrwmInput(x, w, s0.reshape(1, 4, 2, 10), null, false));
        assertMessage("initialState", () -> new SrwmInput(x, w, s0.castTo(DataType.FLOAT), null, false));
        assertMessage("mask", () -> new SrwmInput(x, w, null, m.reshape(3, 2), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelNames")
    void backwardNamesTheBadGradient(String name) {
        SrwmKernel kernel = kernel(name);
        Data data = new Data(new Problem("bad", 2, 2, 3, 2, false, false, false, true, 42));
        SrwmInput in = data.input();
        SrwmOutput out = kernel.forward(in, true);
        INDArray gy = data.gradYArray();
        INDArray gs = data.gradStateArray();
        assertMessage("gradY", () -> kernel.backward(in, out, gy.reshape(2, 2, 2, 3), gs));
        assertMessage("gradY", () -> kernel.backward(in, out, gy.castTo(DataType.FLOAT), gs));
        assertMessage("gradFinalState", () -> kernel.backward(in, out, gy, gs.reshape(2, 2, 10, 2)));
        assertMessage("gradFinalState", () -> kernel.backward(in, out, gy, gs.castTo(DataType.FLOAT)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelNames")
    void backwardNeedsATrainingForwardOfTheSameKernel(String name) {
        SrwmKernel kernel = kernel(name);
        Data data = new Data(new Problem("misuse", 2, 1, 3, 2, false, false, false, false, 43));
        SrwmInput in = data.input();
        SrwmOutput inference = kernel.forward(in, false);
        assertNull(inference.tape(), "a forward without training keeps no tape");
        assertThrows(IllegalStateException.class, () -> kernel.backward(in, inference, data.gradYArray(), null));
        String other = name.equals("cpu") ? "nd4j" : "cpu";
        SrwmOutput foreign = kernel(other).forward(in, true);
        assertThrows(IllegalStateException.class, () -> kernel.backward(in, foreign, data.gradYArray(), null));
    }

    @Test
    void nd4jBackwardRefusesATapeOfAnotherShape() {
        SrwmKernel kernel = new Nd4jSrwmKernel();
        Data small = new Data(new Problem("small", 2, 1, 3, 2, false, false, false, false, 44));
        Data longer = new Data(new Problem("longer", 2, 1, 4, 2, false, false, false, false, 44));
        SrwmOutput out = kernel.forward(small.input(), true);
        assertMessage("tape", () -> kernel.backward(longer.input(), out, longer.gradYArray(), null));
    }

    @Test
    void segmentMustBePositive() {
        assertMessage("segment", () -> new Nd4jSrwmKernel(0));
        assertMessage("segment", () -> new CpuSrwmKernel(ForkJoinPool.commonPool(), 0));
    }

    @Test
    void unknownKernelNameListsTheValidNames() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SrwmKernels.byName("nope"));
        assertTrue(ex.getMessage().contains("nope"), ex.getMessage());
        for (String n : SrwmKernels.NAMES) {
            assertTrue(ex.getMessage().contains(n), ex.getMessage());
            assertEquals(n, SrwmKernels.byName(n).name());
        }
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, call);
        assertTrue(ex.getMessage().contains(expected), "message should name '" + expected + "': " + ex.getMessage());
    }

    // ---------------------------------------------------------------------------------------------------------
    // memory and threads

    /** The tape holds per-step vectors and a few checkpoints, far less than one fast-weight matrix per step. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelNames")
    void tapeKeepsNoMatrixPerStep(String name) {
        Problem p = new Problem("long", 1, 2, 64, 8, false, false, false, false, 51);
        SrwmOutput out = kernel(name).forward(new Data(p).input(), true);
        long perStepMatrices = (long) Double.BYTES * p.batch() * p.heads() * p.steps() * p.headSize() * p.columns();
        assertTrue(out.tape().bytes() > 0 && out.tape().bytes() < perStepMatrices / 3,
                name + ": tape of " + out.tape().bytes() + " bytes vs " + perStepMatrices + " for one W per step");
    }

    /** One kernel instance used from several threads at once gives the results of sequential calls. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelNames")
    void concurrentCallsAreIndependent(String name) {
        SrwmKernel kernel = kernel(name);
        List<Data> problems = List.of(new Data(new Problem("a", 2, 2, 9, 3, false, true, false, true, 61)),
                new Data(new Problem("b", 1, 3, 5, 4, true, false, true, true, 62)));
        List<SrwmGradients> sequential = problems.stream().map(d -> run(kernel, d)).toList();
        List<CompletableFuture<SrwmGradients>> futures = problems.stream()
                .map(d -> CompletableFuture.supplyAsync(() -> run(kernel, d))).toList();
        for (int i = 0; i < problems.size(); i++) {
            SrwmGradients a = sequential.get(i);
            SrwmGradients b = futures.get(i).join();
            assertClose(a.dx(), b.dx(), 1e-13, name + " dx " + i);
            assertClose(a.dWeights(), b.dWeights(), 1e-13, name + " dWeights " + i);
        }
    }

    /**
     * A forward run inside the caller's workspace keeps a tape that outlives it: after the workspace is closed and
     * its memory reused, backward still gives the gradients of a run without workspace.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelNames")
    void tapeOutlivesTheCallersWorkspace(String name) {
        SrwmKernel kernel = kernel(name);
        Data data = new Data(new Problem("workspace", 2, 2, 9, 3, false, true, false, true, 71));
        SrwmInput in = data.input();
        SrwmGradients expected = run(kernel, data);
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1L << 20)
                .policyLearning(LearningPolicy.NONE).build();
        MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "SRWM_TEST_CALLER");
        SrwmOutput out;
        try {
            out = kernel.forward(in, true);
        } finally {
            ws.close();
        }
        ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "SRWM_TEST_CALLER");
        try {
            Nd4j.valueArrayOf(new long[] {(1L << 20) / Double.BYTES - 64}, Double.NaN, DataType.DOUBLE);
        } finally {
            ws.close();
        }
        SrwmGradients actual = kernel.backward(in, out, data.gradYArray(), data.gradStateArray());
        Nd4j.getWorkspaceManager().destroyWorkspace(ws);
        assertClose(expected.dx(), actual.dx(), 1e-13, name + " dx");
        assertClose(expected.dWeights(), actual.dWeights(), 1e-13, name + " dWeights");
    }

    private static SrwmGradients run(SrwmKernel kernel, Data d) {
        SrwmInput in = d.input();
        return kernel.backward(in, kernel.forward(in, true), d.gradYArray(), d.gradStateArray());
    }
}
