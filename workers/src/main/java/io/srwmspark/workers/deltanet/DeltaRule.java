package io.srwmspark.workers.deltanet;

import io.srwmspark.workers.srwm.CpuSrwmKernel;
import java.util.Arrays;
import io.srwmspark.workers.concurrent.Parallel;
import java.util.concurrent.ForkJoinPool;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fast-weight recurrence of the Delta Net (Schlag, Irie and Schmidhuber, "Linear Transformers Are Secretly
 * Fast Weight Programmers", ICML 2021), the baseline of Irie et al. (ICML 2022), with its exact backward.
 *
 * <p>Per sequence b and head h, row vectors, with the raw slow-net output x_t = [q~ | k~ | v | beta~] of size
 * 3E+1 and fast weights M (E x E, rows indexed by key, columns by value; M = W^T of the column-vector
 * notation W k):
 * <pre>
 *   phi(z) = elu(z) + 1 = (z &gt; 0 ? z + 1 : exp(z))
 *   q = phi(q~) / sum(phi(q~))      k = phi(k~) / sum(phi(k~))      beta = sigmoid(beta~)
 *   v_bar = k M_{t-1}                            the value currently stored under k
 *   M_t   = M_{t-1} + beta outer(k, v - v_bar)   the delta rule
 *   y_t   = q M_t                                read AFTER the update
 * </pre>
 * M_0 is zero, or the given initial state. A masked step outputs y = 0, passes no gradient and leaves M
 * untouched.
 *
 * <p>Backward, with G = dL/dM_t collected from later steps (and the final state), gy = dL/dy_t,
 * u = beta (v - v_bar) and d = v - v_bar:
 * <pre>
 *   du  = k G + (k.q) gy                     dq = M_{t-1} gy + (gy.u) k
 *   dk  = G u + (gy.u) q - beta M_{t-1} du    dv = beta du      dbeta~ = beta (1 - beta) (du.d)
 *   G  &lt;- G + outer(q, gy) - beta outer(k, du)                   (= dL/dM_{t-1})
 *   dz  = (dq - (dq.q)) / sum(phi(z)) * phi'(z),   phi'(z) = min(phi(z), 1), for (z, q) = (q~, q) and (k~, k)
 * </pre>
 * The forward keeps per step phi(q~), phi(k~), d, 1/sum(phi(q~)), 1/sum(phi(k~)) and beta (3E + 3 values), and
 * M every {@code segment} steps; never one matrix per step. The backward reloads the checkpoint at a segment's
 * start and recomputes that segment's M_{t-1} from the kept vectors, so it sees exactly the forward's matrices
 * (no undo drift, whatever T is).
 *
 * <p>The work is Java loops over (batch, head) blocks spread over a fork-join pool; each block runs its whole
 * sequence on one thread and blocks share nothing, so results do not depend on the number of threads. With
 * {@code vectorized} the loops use the JDK vector API (SIMD, {@code --add-modules jdk.incubator.vector}). The
 * float64 math is in {@code DeltaRuleF64}; float32 runs its generated twin {@code DeltaRuleF32}.
 *
 * <p>Thread-safe; keeps no state between calls except what it returns.
 */
public final class DeltaRule {

    /** Default steps between fast-weight checkpoints of the tape. */
    public static final int DEFAULT_SEGMENT = 32;

    private final ForkJoinPool pool;
    private final int segment;
    private final boolean vectorized;

    /**
     * The recurrence of one call.
     *
     * @param x            (B, T, H, 3E+1) raw slow-net outputs [q~ | k~ | v | beta~] per head, float32 or float64
     *                     (the (B*T, H(3E+1)) rows of the projection, reshaped)
     * @param initialState (B, H, E, E) fast weights M each sequence starts from, same type as x, or null for 0
     * @param mask         (B, T) 1 for a real step, 0 for a padded one, or null for all real
     */
    public record Input(INDArray x, INDArray initialState, INDArray mask) {

        public Input {
            if (x == null || x.rank() != 4 || x.size(3) < 4 || (x.size(3) - 1) % 3 != 0) {
                throw new IllegalArgumentException("delta rule input x must have shape (B, T, H, 3E+1) with E >= 1, "
                        + "got " + (x == null ? "null" : Arrays.toString(x.shape())));
            }
            for (long s : x.shape()) {
                if (s < 1) {
                    throw new IllegalArgumentException("delta rule input x has an empty axis: "
                            + Arrays.toString(x.shape()));
                }
            }
            DataType type = x.dataType();
            if (type != DataType.FLOAT && type != DataType.DOUBLE) {
                throw new IllegalArgumentException("delta rule input x must be float32 or float64, got " + type);
            }
            long e = (x.size(3) - 1) / 3;
            if (initialState != null) {
                check("initialState", initialState, type, x.size(0), x.size(2), e, e);
            }
            if (mask != null) {
                check("mask", mask, mask.dataType(), x.size(0), x.size(1));
            }
        }

        /** Starts from M = 0, no mask. */
        public static Input of(INDArray x) {
            return new Input(x, null, null);
        }

        public int batch() {
            return Math.toIntExact(x.size(0));
        }

        public int steps() {
            return Math.toIntExact(x.size(1));
        }

        public int heads() {
            return Math.toIntExact(x.size(2));
        }

        public int headSize() {
            return Math.toIntExact((x.size(3) - 1) / 3);
        }
    }

    /**
     * Result of {@link #forward}.
     *
     * @param y          (B, T, H, E) outputs y_t = q_t M_t
     * @param finalState (B, H, E, E) fast weights M after the last step
     * @param tape       what {@link #backward} needs; null for an inference forward
     */
    public record Output(INDArray y, INDArray finalState, Tape tape) {
    }

    /**
     * Gradients of a scalar loss L.
     *
     * @param dx            (B, T, H, 3E+1) dL/dx
     * @param dInitialState (B, H, E, E) dL/dM_0 when the call had an initial state, else null
     */
    public record Gradients(INDArray dx, INDArray dInitialState) {
    }

    /** Per-step vectors and checkpoints kept between forward and backward; opaque to callers. */
    public interface Tape {

        /** Bytes held by this tape. */
        long bytes();

        /** Drops the tape's arrays; a backward with it fails with {@link IllegalStateException} afterwards. */
        void release();
    }

    /** One typed call: float64 ({@code DeltaRuleF64}) or float32 ({@code DeltaRuleF32}). */
    interface Call extends Tape {
        void forwardBlocks(int from, int to);

        INDArray y();

        INDArray finalState();

        /** The forward loop is over: its copy of x can go. */
        void forwardDone();

        BackwardRun backward(INDArray gradY, INDArray gradFinalState);
    }

    /** One backward pass over all blocks. */
    interface BackwardRun {
        void blocks(int from, int to);

        Gradients gradients();
    }

    /** Body of a parallel loop over a range of (batch, head) blocks. */

    /** On {@link CpuSrwmKernel#sharedPool()}, checkpoints every {@value #DEFAULT_SEGMENT} steps, SIMD if available. */
    public DeltaRule() {
        this(CpuSrwmKernel.sharedPool(), DEFAULT_SEGMENT, CpuSrwmKernel.VECTOR_API_AVAILABLE);
    }

    /**
     * @param pool       threads to spread (batch, head) blocks over
     * @param segment    steps between fast-weight checkpoints, &gt;= 1 (memory: one E x E matrix per segment and
     *                   block in the tape, {@code segment} of them per thread in the backward)
     * @param vectorized use SIMD loops of the JDK vector API (needs {@code --add-modules jdk.incubator.vector})
     */
    public DeltaRule(ForkJoinPool pool, int segment, boolean vectorized) {
        if (pool == null) {
            throw new IllegalArgumentException("delta rule needs a fork-join pool, got null");
        }
        if (segment < 1) {
            throw new IllegalArgumentException("delta rule segment must be >= 1, got " + segment);
        }
        if (vectorized && !CpuSrwmKernel.VECTOR_API_AVAILABLE) {
            throw new IllegalStateException("the vectorized delta rule needs the JVM option "
                    + "--add-modules jdk.incubator.vector (./srwm and the Spark configs in conf/ set it)");
        }
        this.pool = pool;
        this.segment = segment;
        this.vectorized = vectorized;
    }

    public int segment() {
        return segment;
    }

    public boolean vectorized() {
        return vectorized;
    }

    /**
     * Runs the recurrence.
     *
     * @param in       the call
     * @param training keep a tape for {@link #backward}
     */
    public Output forward(Input in, boolean training) {
        Call call = in.x().dataType() == DataType.DOUBLE
                ? new DeltaRuleF64(in, training, segment, vectorized)
                : new DeltaRuleF32(in, training, segment, vectorized);
        parallelFor(in.batch() * in.heads(), call::forwardBlocks);
        call.forwardDone();
        return new Output(call.y(), call.finalState(), training ? call : null);
    }

    /**
     * Backpropagates through a forward run with {@code training = true}.
     *
     * @param in             the input the forward saw
     * @param forward        its result (the tape is read, not modified)
     * @param gradY          (B, T, H, E) dL/dy
     * @param gradFinalState (B, H, E, E) dL/d(final state), or null when it does not enter L
     */
    public Gradients backward(Input in, Output forward, INDArray gradY, INDArray gradFinalState) {
        if (forward == null || !(forward.tape() instanceof Call call)) {
            throw new IllegalStateException("delta rule backward needs the tape of a forward run with training = true");
        }
        DataType type = in.x().dataType();
        int e = in.headSize();
        check("gradY", gradY, type, in.batch(), in.steps(), in.heads(), e);
        if (gradFinalState != null) {
            check("gradFinalState", gradFinalState, type, in.batch(), in.heads(), e, e);
        }
        BackwardRun run = call.backward(gradY, gradFinalState);
        parallelFor(in.batch() * in.heads(), run::blocks);
        return run.gradients();
    }

    private static void check(String name, INDArray a, DataType type, long... expected) {
        if (a == null || !Arrays.equals(a.shape(), expected)) {
            throw new IllegalArgumentException("delta rule " + name + " must have shape " + Arrays.toString(expected)
                    + ", got " + (a == null ? "null" : Arrays.toString(a.shape())));
        }
        if (a.dataType() != type) {
            throw new IllegalArgumentException("delta rule " + name + " must be " + type + " like x, got "
                    + a.dataType());
        }
    }

    /** Runs body over [0, n) in ranges of about n / (8 threads) blocks; each range allocates its own scratch. */
    private void parallelFor(int n, Parallel.RangeBody body) {
        Parallel.forRanges(pool, n, body);
    }
}
