package io.srwmspark.workers.srwm;

import io.srwmspark.workers.concurrent.Parallel;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SRWM kernel written as tight Java loops over (batch, head) blocks, spread over a fork-join pool.
 *
 * <p>At head size E = 16 a step is a few 16 x 52 matrix-vector products, far too small for per-op library
 * calls; plain loops that the JIT vectorises win. Each block runs its whole sequence on one thread, so
 * results do not depend on the number of threads (the batch sum of dL/dW_0 runs in a fixed order).
 *
 * <p>Memory of the tape: per step x, q, k, b and d (6E + 8 values) plus one fast-weight matrix every
 * {@code segment} steps; with segment &gt;= E that is O(B H T E), never one matrix per step. The math and
 * its equations are in {@code CpuSrwmF64}; float32 runs its generated twin {@code CpuSrwmF32}.
 */
public final class CpuSrwmKernel implements SrwmKernel {

    /** Default steps between fast-weight checkpoints of the tape. */
    public static final int DEFAULT_SEGMENT = 32;

    /** True when the JVM was started with {@code --add-modules jdk.incubator.vector}. */
    public static final boolean VECTOR_API_AVAILABLE =
            ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private final ForkJoinPool pool;
    private final int segment;
    private final boolean vectorized;
    private final ArrayPool arrays = new ArrayPool();

    /** System property that sets the threads of the shared pool (default: all available processors). */
    public static final String THREADS_PROPERTY = "srwm.cpu.threads";

    private static volatile ForkJoinPool shared;

    /** A kernel on the shared pool ({@link #sharedPool()}), checkpoints every {@value #DEFAULT_SEGMENT} steps. */
    public CpuSrwmKernel() {
        this(sharedPool(), DEFAULT_SEGMENT);
    }

    /**
     * The pool kernels share by default: daemon threads, as many as {@code -Dsrwm.cpu.threads} or else the
     * available processors. (The JDK's common pool keeps one core for the caller, which would leave a
     * 2-core machine half idle while the caller waits.)
     */
    public static ForkJoinPool sharedPool() {
        ForkJoinPool p = shared;
        if (p == null) {
            synchronized (CpuSrwmKernel.class) {
                p = shared;
                if (p == null) {
                    int threads = Integer.getInteger(THREADS_PROPERTY, Runtime.getRuntime().availableProcessors());
                    if (threads < 1) {
                        throw new IllegalArgumentException("-D" + THREADS_PROPERTY + " must be >= 1, got " + threads);
                    }
                    p = new ForkJoinPool(threads, pool -> {
                        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                        t.setDaemon(true);
                        t.setName("srwm-cpu-" + t.getPoolIndex());
                        return t;
                    }, null, false);
                    shared = p;
                }
            }
        }
        return p;
    }

    /** The pool this kernel runs on. */
    public ForkJoinPool pool() {
        return pool;
    }

    /** Steps between fast-weight checkpoints of the tape. */
    public int segment() {
        return segment;
    }

    /**
     * @param pool    threads to spread (batch, head) blocks over
     * @param segment steps between fast-weight checkpoints (undo error is bounded by this many steps)
     */
    public CpuSrwmKernel(ForkJoinPool pool, int segment) {
        this(pool, segment, VECTOR_API_AVAILABLE);
    }

    /**
     * @param pool       threads to spread (batch, head) blocks over
     * @param segment    steps between fast-weight checkpoints (undo error is bounded by this many steps)
     * @param vectorized use SIMD loops of the JDK vector API (needs {@code --add-modules jdk.incubator.vector});
     *                   false runs plain scalar loops, several times slower
     */
    public CpuSrwmKernel(ForkJoinPool pool, int segment, boolean vectorized) {
        if (segment < 1) {
            throw new IllegalArgumentException("CPU kernel segment must be >= 1, got " + segment);
        }
        if (vectorized && !VECTOR_API_AVAILABLE) {
            throw new IllegalStateException("the vectorized CPU kernel needs the JVM option "
                    + "--add-modules jdk.incubator.vector (./srwm and the Spark configs in conf/ set it)");
        }
        this.pool = pool;
        this.segment = segment;
        this.vectorized = vectorized;
    }

    /** Whether this kernel runs SIMD loops (JDK vector API). */
    public boolean vectorized() {
        return vectorized;
    }

    @Override
    public String name() {
        return "cpu";
    }

    /** One typed call: float64 ({@code CpuSrwmF64}) or float32 ({@code CpuSrwmF32}). */
    interface Call extends SrwmTape {
        void forwardBlock(int bh);

        long tapeBytes();

        INDArray y();

        INDArray finalState();

        BackwardRun backward(INDArray gradY, INDArray gradFinalState);

        /** The forward loop is over: inputs copied for it can go back to the pool. */
        void forwardDone();

        @Override
        default long bytes() {
            return tapeBytes();
        }
    }

    /** One backward pass over all blocks. */
    interface BackwardRun {
        void block(int bh);

        SrwmGradients gradients(boolean perSequence);
    }

    @Override
    public SrwmOutput forward(SrwmInput input, boolean training) {
        Call call = input.dataType() == DataType.DOUBLE
                ? new CpuSrwmF64(input, training, segment, vectorized, arrays)
                : new CpuSrwmF32(input, training, segment, vectorized, arrays);
        SrwmShape s = input.shape();
        parallelFor(s.batch() * s.heads(), call::forwardBlock);
        call.forwardDone();
        SrwmOutput out = new SrwmOutput(call.y(), call.finalState(), training ? call : null);
        if (!training) {
            call.release();
        }
        return out;
    }

    @Override
    public SrwmGradients backward(SrwmInput input, SrwmOutput forward, INDArray gradY, INDArray gradFinalState) {
        if (!(forward.tape() instanceof Call call)) {
            throw new IllegalStateException("backward needs the tape of a CPU-kernel forward run with training = true");
        }
        SrwmShape s = input.shape();
        SrwmInput.check("gradY", gradY, input.dataType(), s.batch(), s.heads(), s.steps(), s.headSize());
        if (gradFinalState != null) {
            SrwmInput.check("gradFinalState", gradFinalState, input.dataType(), s.batch(), s.heads(), s.headSize(),
                    s.columns());
        }
        BackwardRun run = call.backward(gradY, gradFinalState);
        parallelFor(s.batch() * s.heads(), run::block);
        return run.gradients(input.initialState() != null);
    }

    private void parallelFor(int n, IntConsumer body) {
        Parallel.forRanges(pool, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                body.accept(i);
            }
        });
    }
}
