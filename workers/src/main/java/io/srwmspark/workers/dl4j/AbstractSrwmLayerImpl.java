package io.srwmspark.workers.dl4j;

import io.srwmspark.workers.srwm.SrwmKernel;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.recurrent.BaseRecurrentLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What both SRWM runtime layers share: layout conversion, the carried fast weights, the forward kept for
 * backprop, and DL4J's workspace rules.
 *
 * <p>Layouts: DL4J gives (B, D, T) (NCW) or (B, T, D) (NWC); the blocks take (B, T, D). Masks are DL4J's
 * feature mask (B, T), passed to the SRWM kernel: a masked step outputs 0, passes no gradient and leaves the
 * fast weights untouched.
 *
 * <p>Workspaces: the block math runs with workspaces scoped out, so everything it keeps (the forward tape, the
 * carried fast weights) is detached and survives until it is used. The output is then copied into the
 * ACTIVATIONS workspace, the returned epsilon into ACTIVATION_GRAD, and parameter gradients into the gradient
 * views.
 *
 * <p>State: {@code rnnTimeStep} starts from the fast weights its previous call ended with (key
 * {@value #STATE_KEY}, (B, H, E, 3E+4)), as does {@code rnnActivateUsingStoredState} with the truncated-BPTT
 * state. The carried state is a constant for backprop (detached at call boundaries): within a truncated-BPTT
 * segment that starts from a carried state, W_0 gets no gradient, exactly as truncation defines.
 *
 * <p>Backprop uses the forward of the last training {@code activate} on the same input; without one it runs
 * a fresh training forward from W_0 (with fresh dropout masks).
 *
 * @param <C> configuration class
 * @param <F> the block's forward result
 */
abstract class AbstractSrwmLayerImpl<C extends AbstractSrwmLayer, F> extends BaseRecurrentLayer<C> {

    /** Key of the carried fast weights in the state maps. */
    public static final String STATE_KEY = "fastWeights";

    /** A training forward and the input it saw. */
    private record Pass<F>(INDArray input, F forward) {
    }

    private transient SrwmKernel kernel;
    private transient Pass<F> last;
    private long calls;

    AbstractSrwmLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** Runs the block on detached (B, T, D) arrays. */
    protected abstract F forward(INDArray h, INDArray initialState, INDArray mask, boolean training, long seed);

    /** (B, T, D) output of a forward. */
    protected abstract INDArray out(F forward);

    /** (B, H, E, 3E+4) final fast weights of a forward. */
    protected abstract INDArray finalState(F forward);

    /** Backward of a forward: puts every parameter gradient into {@code grads} by key and returns dL/dh (B, T, D). */
    protected abstract INDArray backward(F forward, INDArray gradOut, Map<String, INDArray> grads);

    /** The configured kernel, created on first use. */
    protected SrwmKernel kernel() {
        String name = layerConf().getKernel();
        if (kernel == null || !kernel.name().equals(name)) {
            kernel = SrwmKernels.byName(name);
        }
        return kernel;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public Type type() {
        return Type.RECURRENT;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        return run(null, training, workspaceMgr, null);
    }

    @Override
    public INDArray rnnTimeStep(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        setInput(input, workspaceMgr);
        return run(storedState(stateMap), false, workspaceMgr, stateMap);
    }

    @Override
    public INDArray rnnActivateUsingStoredState(INDArray input, boolean training, boolean storeLastForTBPTT,
            LayerWorkspaceMgr workspaceMgr) {
        setInput(input, workspaceMgr);
        return run(storedState(tBpttStateMap), training, workspaceMgr, storeLastForTBPTT ? tBpttStateMap : null);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        return backprop(epsilon, workspaceMgr, false);
    }

    @Override
    public Pair<Gradient, INDArray> tbpttBackpropGradient(INDArray epsilon, int tbpttBackLength,
            LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        long steps = input.size(timeAxis());
        if (tbpttBackLength > 0 && tbpttBackLength < steps) {
            throw new IllegalArgumentException(layerConf().getClass().getSimpleName() + " '"
                    + layerConf().getLayerName() + "': truncated BPTT backward length " + tbpttBackLength
                    + " shorter than the forward segment (" + steps + " steps) is not supported; set "
                    + "tBPTTBackwardLength equal to tBPTTForwardLength");
        }
        return backprop(epsilon, workspaceMgr, true);
    }

    @Override
    public void clear() {
        super.clear();
        last = null;
    }

    private INDArray run(INDArray initialState, boolean training, LayerWorkspaceMgr workspaceMgr,
            Map<String, INDArray> storeFinal) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        checkInput(input);
        long seed = nextSeed();
        F f = outsideWorkspaces(() -> forward(toBtd(input), initialState, detachedMask(), training, seed));
        if (storeFinal != null) {
            INDArray s = finalState(f);
            storeFinal.put(STATE_KEY, s.isAttached() ? s.detach() : s);
        }
        last = training ? new Pass<>(input, f) : null;
        INDArray outBtd = out(f);
        INDArray result = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, layoutShape(outBtd), 'c');
        result.assign(fromBtd(outBtd));
        return result;
    }

    private Pair<Gradient, INDArray> backprop(INDArray epsilon, LayerWorkspaceMgr workspaceMgr, boolean tbptt) {
        assertInputSet(true);
        if (epsilon == null || !Arrays.equals(epsilon.shape(), input.shape())) {
            throw new IllegalArgumentException(layerConf().getClass().getSimpleName() + " '"
                    + layerConf().getLayerName() + "': epsilon must have the input's shape "
                    + Arrays.toString(input.shape()) + ", got "
                    + (epsilon == null ? "null" : Arrays.toString(epsilon.shape())));
        }
        if (gradientViews == null || gradientsFlattened == null) {
            throw new IllegalStateException(layerConf().getClass().getSimpleName() + " '"
                    + layerConf().getLayerName() + "': gradient views are not set; the network allocates them on its "
                    + "first fit or computeGradientAndScore (or call ComputationGraph.initGradientsView())");
        }
        Pass<F> pass = last;
        if (pass == null || pass.input() != input) {
            if (tbptt) {
                throw new IllegalStateException(layerConf().getClass().getSimpleName() + " '"
                        + layerConf().getLayerName() + "': tbpttBackpropGradient needs a preceding "
                        + "rnnActivateUsingStoredState(training = true) on the same input");
            }
            long seed = nextSeed();
            pass = new Pass<>(input, outsideWorkspaces(() -> forward(toBtd(input), null, detachedMask(), true, seed)));
        }
        Map<String, INDArray> grads = new LinkedHashMap<>();
        F forward = pass.forward();
        INDArray dh = outsideWorkspaces(() -> backward(forward, toBtd(epsilon), grads));
        Gradient gradient = new DefaultGradient(gradientsFlattened);
        for (String key : layerConf().initializer().paramKeys(layerConf())) {
            INDArray view = gradientViews.get(key);
            INDArray g = grads.get(key);
            if (g == null) {
                throw new IllegalStateException("SRWM layer backward produced no gradient for parameter " + key);
            }
            view.assign(g);
            gradient.gradientForVariable().put(key, view);
        }
        INDArray epsOut = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c');
        epsOut.assign(fromBtd(dh));
        epsOut = backpropDropOutIfPresent(epsOut);
        last = null;
        return new Pair<>(gradient, epsOut);
    }

    /** Runs {@code body} with workspaces scoped out: every array it creates is detached. */
    private static <T> T outsideWorkspaces(Supplier<T> body) {
        MemoryWorkspace scope = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
        try {
            return body.get();
        } finally {
            scope.close();
        }
    }

    private boolean nwc() {
        return getDataFormat() == RNNFormat.NWC;
    }

    private int timeAxis() {
        return nwc() ? 1 : 2;
    }

    private void checkInput(INDArray x) {
        int featureAxis = nwc() ? 2 : 1;
        if (x.rank() != 3 || x.size(featureAxis) != layerConf().width()) {
            throw new IllegalArgumentException(layerConf().getClass().getSimpleName() + " '"
                    + layerConf().getLayerName() + "' expects input " + (nwc() ? "(B, T, " : "(B, ")
                    + layerConf().width() + (nwc() ? ")" : ", T)") + " (" + getDataFormat() + "), got "
                    + Arrays.toString(x.shape()));
        }
    }

    /** DL4J layout to a detached c-ordered (B, T, D) copy in the network's type. */
    private INDArray toBtd(INDArray x) {
        INDArray btd = nwc() ? x : x.permute(0, 2, 1);
        return btd.castTo(dataType).dup('c');
    }

    /** (B, T, D) to the DL4J layout (a view). */
    private INDArray fromBtd(INDArray btd) {
        return nwc() ? btd : btd.permute(0, 2, 1);
    }

    private long[] layoutShape(INDArray btd) {
        return nwc() ? btd.shape() : new long[] {btd.size(0), btd.size(2), btd.size(1)};
    }

    /** The feature mask as a detached (B, T) array, or null. */
    private INDArray detachedMask() {
        if (maskArray == null) {
            return null;
        }
        long batch = input.size(0);
        long steps = input.size(timeAxis());
        if (!Arrays.equals(maskArray.shape(), new long[] {batch, steps})) {
            throw new IllegalArgumentException(layerConf().getClass().getSimpleName() + " '"
                    + layerConf().getLayerName() + "': feature mask must be (B, T) = (" + batch + ", " + steps
                    + "), got " + Arrays.toString(maskArray.shape()));
        }
        return maskArray.castTo(dataType).dup('c');
    }

    private INDArray storedState(Map<String, INDArray> map) {
        INDArray s = map.get(STATE_KEY);
        if (s == null) {
            return null;
        }
        assertInputSet(false);
        if (s.size(0) != input.size(0)) {
            throw new IllegalStateException(layerConf().getClass().getSimpleName() + " '"
                    + layerConf().getLayerName() + "': stored fast weights are for batch " + s.size(0)
                    + " but the input has batch " + input.size(0) + "; call rnnClearPreviousState() first");
        }
        return s.dataType() == dataType ? s : s.castTo(dataType);
    }

    /** Dropout seed of one call: the layer seed mixed with the iteration, epoch and a call counter. */
    private long nextSeed() {
        long base = layerConf().seedIn(conf);
        long mix = base ^ (0x9E3779B97F4A7C15L * (getIterationCount() + 1L))
                ^ (0xC2B2AE3D27D4EB4FL * (getEpochCount() + 1L)) ^ (0x165667B19E3779F9L * ++calls);
        return new SplittableRandom(mix).nextLong();
    }
}
