package io.srwmspark.workers.srwm;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import java.util.function.IntConsumer;
import java.util.function.Supplier;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SRWM kernel made of batched ND4J ops, so it runs on any ND4J backend (CPU, CUDA). Every time step is a handful
 * of batched matrix products over all N = B*H sequences at once, (N, 1, E) x (N, E, C), plus elementwise ops.
 *
 * <p>The layer of Irie, Schlag, Csordás and Schmidhuber, "A Modern Self-Referential Weight Matrix That Learns to
 * Modify Itself" (ICML 2022, eqs. 5-8). Per sequence, with row vectors, W = W_{t-1} the E x C fast weights
 * (C = 3E + 4, columns [W_y | W_q | W_k | W_b]) and m_t in {0, 1} the mask:
 * <pre>
 *   z = x_t W                        (C)    one product for all four blocks
 *   y_t = m_t z[0,E)                 q = softmax(z[E,2E))    k = softmax(z[2E,3E))
 *   beta = m_t sigmoid(z[3E,3E+4))   (4)    the learning rates, masked
 *   d = (q - k) W                    (C)    one product: q W_P - k W_P for the four blocks
 *   u = expand(beta) * d             (C)    expand(beta)[m] = beta[P(m)], P(m) the block of column m
 *   W &lt;- W + outer(k, u)                   the rank-1 delta rule of all four blocks (eq. 8)
 * </pre>
 * A padded step (m_t = 0) has beta = 0, so it outputs 0 and leaves W unchanged, like {@link CpuSrwmKernel} which
 * skips it; its gradients are exactly zero for the same reason.
 *
 * <p>Backward keeps no matrix per step: the tape holds per step x (after the optional input softmax), q, k, the
 * masked rates beta and d, plus a copy of W every {@code segment} steps. Time is walked backwards; inside a
 * segment the updates are undone from the exact checkpoint at its end, W_{t-1} = W_t - outer(k, u), so the
 * rounding error of the undo is bounded by one segment whatever T is. With G = dL/dW_t and g_y = dL/dy_t:
 * <pre>
 *   kG = k G     gd = expand(beta) * kG     db~ = beta (1 - beta) * sum_{m in P} kG[m] d[m]     dk = u G^T
 *   r = gd W_{t-1}^T     dq = r     dk -= r     dq~ = q * (dq - &lt;dq,q&gt;)    dk~ = k * (dk - &lt;dk,k&gt;)
 *   gz = [m_t g_y | dq~ | dk~ | db~]     dx_t = gz W_{t-1}^T     G &lt;- G + outer(q - k, gd) + outer(x_t, gz)
 * </pre>
 * (beta (1 - beta) equals m_t b (1 - b) because m_t is 0 or 1.) The last line is one product
 * [q - k ; x_t]^T [gd ; gz] of shapes (N, E, 2) x (N, 2, C). dL/dW_0 is the batch sum of the G left at t = 1.
 *
 * <p>Ops per step: 10 forward (3 batched products), 20 backward (6 batched products). The tape holds per step
 * 6E + 8 values per sequence and one (E, C) matrix per sequence every {@code segment} steps: O(B H T E) for
 * segment &gt;= E. Backward adds [q - k ; x] (2E values per step and sequence) and two (E, C) matrices per
 * sequence (W and G).
 *
 * <p>Memory: results and tape are allocated outside any ND4J workspace (they outlive the caller's workspace
 * scopes); the temporaries of one time step live in a thread-local scratch workspace that is reset after each
 * step and destroyed at the end of the call. The kernel has no mutable state and is thread-safe.
 */
public final class Nd4jSrwmKernel implements SrwmKernel {

    /** Default steps between fast-weight checkpoints of the tape. */
    public static final int DEFAULT_SEGMENT = 16;

    /** Id of the per-step scratch workspace (workspaces are per thread, so concurrent calls do not share it). */
    private static final String SCRATCH = "SRWM_ND4J_STEP";

    private final int segment;

    /** A kernel with checkpoints every {@value #DEFAULT_SEGMENT} steps. */
    public Nd4jSrwmKernel() {
        this(DEFAULT_SEGMENT);
    }

    /** @param segment steps between fast-weight checkpoints (undo error is bounded by this many steps) */
    public Nd4jSrwmKernel(int segment) {
        if (segment < 1) {
            throw new IllegalArgumentException("ND4J kernel segment must be >= 1, got " + segment);
        }
        this.segment = segment;
    }

    @Override
    public String name() {
        return "nd4j";
    }

    @Override
    public SrwmOutput forward(SrwmInput input, boolean training) {
        return detached(() -> new Forward(input, training, segment).run());
    }

    @Override
    public SrwmGradients backward(SrwmInput input, SrwmOutput forward, INDArray gradY, INDArray gradFinalState) {
        if (!(forward.tape() instanceof Tape tape)) {
            throw new IllegalStateException("backward needs the tape of an nd4j-kernel forward run with training = "
                    + "true, got " + (forward.tape() == null ? "no tape (forward run without training)"
                    : "a tape of " + forward.tape().getClass().getSimpleName()));
        }
        SrwmShape s = input.shape();
        if (!tape.shape().equals(s) || tape.type() != input.dataType()) {
            throw new IllegalArgumentException("SRWM input has shape " + s + " " + input.dataType()
                    + " but the forward's tape was recorded for " + tape.shape() + " " + tape.type()
                    + ": pass the same input to forward and backward");
        }
        SrwmInput.check("gradY", gradY, input.dataType(), s.batch(), s.heads(), s.steps(), s.headSize());
        if (gradFinalState != null) {
            SrwmInput.check("gradFinalState", gradFinalState, input.dataType(), s.batch(), s.heads(), s.headSize(),
                    s.columns());
        }
        return detached(() -> new Backward(input, tape, gradY, gradFinalState).run());
    }

    /**
     * What the forward keeps for backward, read-only. Time-major: step t first, then sequence n = b*H + h.
     *
     * @param shape   (B, H, T, E) of the forward
     * @param type    float32 or float64
     * @param segment steps between checkpoints
     * @param xs      (T, N, 1, E) x after the optional input softmax
     * @param qk      (T, N, 2, E) q (row 0) and k (row 1)
     * @param beta    (T, N, 1, 4) masked learning rates m_t sigmoid(x_t W_b)
     * @param d       (T, N, 1, C) d = (q - k) W_{t-1}
     * @param ckpt    (ceil(T/S) - 1, N, E, C) W after steps S, 2S, ... before T, or null when T &lt;= S
     * @param last    (N, E, C) W after step T, the tape's own copy
     */
    private record Tape(SrwmShape shape, DataType type, int segment, INDArray xs, INDArray qk, INDArray beta,
            INDArray d, INDArray ckpt, INDArray last) implements SrwmTape {

        @Override
        public long bytes() {
            long n = xs.length() + qk.length() + beta.length() + d.length() + last.length()
                    + (ckpt == null ? 0 : ckpt.length());
            return n * type.width();
        }
    }

    /** One forward call. Fields are fixed per call; the arrays they name are filled step by step. */
    private static final class Forward {
        private final SrwmShape s;
        private final DataType type;
        private final boolean training;
        private final int segment;
        private final long n;
        private final int e;
        private final int c;
        private final INDArray xs;       // (T, N, 1, E)
        private final INDArray mask;     // (T, N, 1, 1) or null
        private final INDArray expand;   // (4, C)
        private final INDArray w;        // (N, E, C) the running, then final, fast weights
        private final INDArray ys;       // (T, N, 1, E)
        private final INDArray qkAll;    // (T, N, 2, E) or null without training
        private final INDArray betaAll;  // (T, N, 1, 4) or null
        private final INDArray dAll;     // (T, N, 1, C) or null
        private final INDArray ckpt;     // (segments - 1, N, E, C) or null

        Forward(SrwmInput input, boolean training, int segment) {
            this.s = input.shape();
            this.type = input.dataType();
            this.training = training;
            this.segment = segment;
            this.n = (long) s.batch() * s.heads();
            this.e = s.headSize();
            this.c = s.columns();
            int steps = s.steps();
            int segments = (steps + segment - 1) / segment;
            this.xs = timeMajor(input.x(), s);
            if (input.inputSoftmax()) {
                Nd4j.exec(new SoftMax(xs, xs, 3));
            }
            this.mask = stepMask(input.mask(), s, type);
            this.expand = blockExpansion(e, type);
            this.w = startState(input, s);
            this.ys = Nd4j.createUninitialized(type, steps, n, 1, e);
            this.qkAll = training ? Nd4j.createUninitialized(type, steps, n, 2, e) : null;
            this.betaAll = training ? Nd4j.createUninitialized(type, steps, n, 1, 4) : null;
            this.dAll = training ? Nd4j.createUninitialized(type, steps, n, 1, c) : null;
            this.ckpt = training && segments > 1 ? Nd4j.createUninitialized(type, segments - 1, n, e, c) : null;
        }

        SrwmOutput run() {
            eachStep(s.steps(), false, 8 * n * c * type.width(), this::step);
            if (mask != null) {
                ys.muli(mask);
            }
            Tape tape = training ? new Tape(s, type, segment, xs, qkAll, betaAll, dAll, ckpt, w.dup()) : null;
            return new SrwmOutput(batchMajor(ys, s), w.reshape(s.batch(), s.heads(), e, c), tape);
        }

        private void step(int t) {
            INDArray z = Nd4j.matmul(slice(xs, t), w);                                           // (N, 1, C)
            slice(ys, t).assign(z.get(all(), all(), interval(0, e)));
            INDArray qk = training ? slice(qkAll, t) : Nd4j.createUninitialized(type, n, 2, e);   // (N, 2, E)
            Nd4j.exec(new SoftMax(z.get(all(), all(), interval(e, 3 * e)).reshape(n, 2, e), qk, 2));
            INDArray beta = training ? slice(betaAll, t) : Nd4j.createUninitialized(type, n, 1, 4);  // (N, 1, 4)
            Nd4j.exec(new Sigmoid(z.get(all(), all(), interval(3 * e, c)), beta));
            if (mask != null) {
                beta.muli(slice(mask, t));                                                        // * (N, 1, 1)
            }
            INDArray k = qk.get(all(), interval(1, 2), all());                                    // (N, 1, E)
            INDArray qMinusK = qk.get(all(), interval(0, 1), all()).sub(k);                     // (N, 1, E)
            INDArray d = training ? slice(dAll, t) : Nd4j.createUninitialized(type, n, 1, c);     // (N, 1, C)
            Nd4j.matmul(qMinusK, w, d);
            INDArray u = d.mul(rates(beta, expand));                                              // (N, 1, C)
            accumulate(k, u, w, 1.0);                                                             // W += k^T u
            if (training && (t + 1) % segment == 0 && t + 1 < s.steps()) {
                slice(ckpt, (t + 1) / segment - 1).assign(w);
            }
        }
    }

    /** One backward call over a forward's tape. */
    private static final class Backward {
        private final SrwmShape s;
        private final Tape tape;
        private final boolean inputSoftmax;
        private final boolean perSequence;
        private final long n;
        private final int e;
        private final int c;
        private final INDArray gy;       // (T, N, 1, E) dL/dy, zero on padded steps
        private final INDArray expand;   // (4, C)
        private final INDArray lhs;      // (T, N, 2, E) [q - k ; x]
        private final INDArray slope;    // (T, N, 1, 4) beta (1 - beta)
        private final INDArray g;        // (N, E, C) dL/dW_t, ends as dL/dS_0
        private final INDArray w;        // (N, E, C) W_t, restored from checkpoints and undone step by step
        private final INDArray dxs;      // (T, N, 1, E)

        Backward(SrwmInput input, Tape tape, INDArray gradY, INDArray gradFinalState) {
            this.s = input.shape();
            this.tape = tape;
            this.inputSoftmax = input.inputSoftmax();
            this.perSequence = input.initialState() != null;
            this.n = (long) s.batch() * s.heads();
            this.e = s.headSize();
            this.c = s.columns();
            DataType type = tape.type();
            this.gy = timeMajor(gradY, s);
            INDArray mask = stepMask(input.mask(), s, type);
            if (mask != null) {
                gy.muli(mask);
            }
            this.expand = blockExpansion(e, type);
            INDArray q = tape.qk().get(all(), all(), interval(0, 1), all());                     // (T, N, 1, E)
            INDArray k = tape.qk().get(all(), all(), interval(1, 2), all());                     // (T, N, 1, E)
            this.lhs = Nd4j.concat(2, q.sub(k), tape.xs());
            this.slope = tape.beta().mul(tape.beta().rsub(1.0));
            this.g = gradFinalState == null ? Nd4j.zeros(type, n, e, c) : gradFinalState.dup('c').reshape(n, e, c);
            this.w = Nd4j.createUninitialized(type, n, e, c);
            this.dxs = Nd4j.createUninitialized(type, s.steps(), n, 1, e);
        }

        SrwmGradients run() {
            eachStep(s.steps(), true, 12 * n * c * tape.type().width(), this::step);
            if (inputSoftmax) {
                INDArray dot = dxs.mul(tape.xs()).sum(true, 3);                                   // (T, N, 1, 1)
                dxs.subi(dot).muli(tape.xs());
            }
            INDArray dx = batchMajor(dxs, s);
            INDArray dState = g.reshape(s.batch(), s.heads(), e, c);
            if (perSequence) {
                return new SrwmGradients(dx, Nd4j.zeros(tape.type(), s.heads(), e, c), dState);
            }
            return new SrwmGradients(dx, dState.sum(0), null);
        }

        private void step(int t) {
            int seg = tape.segment();
            if (t == s.steps() - 1) {
                w.assign(tape.last());
            } else if ((t + 1) % seg == 0) {
                w.assign(slice(tape.ckpt(), (t + 1) / seg - 1));
            }
            INDArray qk = slice(tape.qk(), t);                                                    // (N, 2, E)
            INDArray k = qk.get(all(), interval(1, 2), all());                                    // (N, 1, E)
            INDArray d = slice(tape.d(), t);                                                      // (N, 1, C)
            INDArray rate = rates(slice(tape.beta(), t), expand);                                 // (N, 1, C)
            INDArray u = d.mul(rate);                                                             // (N, 1, C)
            accumulate(k, u, w, -1.0);                                                            // W_{t-1}
            INDArray kg = Nd4j.matmul(k, g);                                                      // (N, 1, C) k G
            INDArray dk = Nd4j.matmul(u, g, false, true, false);                                  // (N, 1, E) u G^T
            INDArray gd = kg.mul(rate);                                                           // (N, 1, C)
            INDArray db = Nd4j.matmul(kg.muli(d).reshape(n, c), expand, false, true, false)      // (N, 4)
                    .reshape(n, 1, 4).muli(slice(slope, t));                                      // (N, 1, 4)
            INDArray r = Nd4j.matmul(gd, w, false, true, false);                                  // (N, 1, E) gd W^T
            INDArray dqk = Nd4j.concat(1, r, dk.subi(r));                                         // (N, 2, E)
            INDArray dot = dqk.mul(qk).sum(true, 2);                                              // (N, 2, 1)
            INDArray dz = dqk.subi(dot).muli(qk).reshape(n, 1, 2L * e);                           // (N, 1, 2E)
            INDArray gz = Nd4j.concat(2, slice(gy, t), dz, db);                                   // (N, 1, C)
            Nd4j.matmul(gz, w, slice(dxs, t), false, true, false);                                // dx = gz W^T
            accumulate(slice(lhs, t), Nd4j.concat(1, gd, gz), g, 1.0);                            // G += ...
        }
    }

    /**
     * Runs {@code step(t)} for t = 0..T-1 (or backwards), the temporaries of each step in a scratch workspace
     * that is reset after the step: op outputs then cost no allocation. Anything that outlives a step is written
     * into arrays allocated before the loop, outside the workspace.
     */
    private static void eachStep(int steps, boolean backwards, long scratchBytes, IntConsumer step) {
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder()
                .initialSize(scratchBytes + (1L << 16))
                .policyAllocation(AllocationPolicy.STRICT)
                .policyLearning(LearningPolicy.NONE)
                .policySpill(SpillPolicy.EXTERNAL)
                .build();
        MemoryWorkspace scratch = Nd4j.getWorkspaceManager().createNewWorkspace(conf, SCRATCH);
        try {
            for (int i = 0; i < steps; i++) {
                scratch.notifyScopeEntered();
                try {
                    step.accept(backwards ? steps - 1 - i : i);
                } finally {
                    scratch.close();
                }
            }
        } finally {
            Nd4j.getWorkspaceManager().destroyWorkspace(scratch);
        }
    }

    /** Runs {@code body} with every allocation outside workspaces: results and tape are owned by the caller. */
    private static <R> R detached(Supplier<R> body) {
        MemoryWorkspace scope = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
        try {
            return body.get();
        } finally {
            scope.close();
        }
    }

    /** Index i of the first axis, a view: (T, ...) -> (...). */
    private static INDArray slice(INDArray a, int i) {
        return switch (a.rank()) {
            case 3 -> a.get(point(i), all(), all());
            case 4 -> a.get(point(i), all(), all(), all());
            default -> throw new IllegalStateException("rank " + a.rank());
        };
    }

    /** target &lt;- target + alpha a^T b, batched: (N, R, E)^T x (N, R, C) into (N, E, C), one product. */
    private static void accumulate(INDArray a, INDArray b, INDArray target, double alpha) {
        Nd4j.exec(new Mmul(a, b, target, alpha, 1.0, MMulTranspose.builder().transposeA(true).build()));
    }

    /** expand(beta): (N, 1, 4) x (4, C) -> (N, 1, C), each rate repeated over the columns of its block. */
    private static INDArray rates(INDArray beta, INDArray expand) {
        long n = beta.size(0);
        return Nd4j.matmul(beta.reshape(n, 4), expand).reshape(n, 1, expand.size(1));
    }

    /** The (4, C) 0/1 matrix whose row P is 1 on the columns of block P (y, q, k: E columns each; b: 4). */
    private static INDArray blockExpansion(int e, DataType type) {
        int c = 3 * e + 4;
        double[] v = new double[4 * c];
        for (int m = 0; m < c; m++) {
            v[Math.min(m / e, 3) * c + m] = 1;
        }
        return Nd4j.create(v, new long[] {4, c}, DataType.DOUBLE).castTo(type);
    }

    /** (B, H, T, E) -> (T, N, 1, E), a c-ordered copy. */
    private static INDArray timeMajor(INDArray a, SrwmShape s) {
        return a.permute(2, 0, 1, 3).dup('c').reshape(s.steps(), (long) s.batch() * s.heads(), 1, s.headSize());
    }

    /** (T, N, 1, E) -> (B, H, T, E), a c-ordered copy. */
    private static INDArray batchMajor(INDArray a, SrwmShape s) {
        return a.reshape(s.steps(), s.batch(), s.heads(), s.headSize()).permute(1, 2, 0, 3).dup('c');
    }

    /** Mask (B, T) -> (T, N, 1, 1) of 0 (padded, mask == 0) and 1 (any other value), or null without a mask. */
    private static INDArray stepMask(INDArray mask, SrwmShape s, DataType type) {
        if (mask == null) {
            return null;
        }
        int batch = s.batch();
        int heads = s.heads();
        int steps = s.steps();
        double[] m = mask.castTo(DataType.DOUBLE).dup('c').data().asDouble();  // (B, T)
        double[] v = new double[steps * batch * heads];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                double real = m[b * steps + t] == 0 ? 0 : 1;
                for (int h = 0; h < heads; h++) {
                    v[(t * batch + b) * heads + h] = real;
                }
            }
        }
        return Nd4j.create(v, new long[] {steps, (long) batch * heads, 1, 1}, DataType.DOUBLE).castTo(type);
    }

    /** (N, E, C) starting fast weights: a copy of the initial state, or W_0 repeated over the batch. */
    private static INDArray startState(SrwmInput input, SrwmShape s) {
        long n = (long) s.batch() * s.heads();
        if (input.initialState() != null) {
            return input.initialState().dup('c').reshape(n, s.headSize(), s.columns());
        }
        long hec = (long) s.heads() * s.headSize() * s.columns();
        return input.weights().dup('c').reshape(1, hec).repeat(0, s.batch()).reshape(n, s.headSize(), s.columns());
    }
}
