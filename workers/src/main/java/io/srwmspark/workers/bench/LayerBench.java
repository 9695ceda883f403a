package io.srwmspark.workers.bench;

import io.srwmspark.workers.rng.Seeds;
import io.srwmspark.workers.srwm.FastWeights;
import io.srwmspark.workers.srwm.SrwmGradients;
import io.srwmspark.workers.srwm.SrwmInput;
import io.srwmspark.workers.srwm.SrwmKernel;
import io.srwmspark.workers.srwm.SrwmOutput;
import io.srwmspark.workers.srwm.SrwmShape;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Times one SRWM forward plus backward (the training step of the layer) on random inputs. */
public final class LayerBench {

    /** The default shapes (B, H, T, E): the Omniglot config's batch, a small batch, a long and a very long one. */
    public static final List<SrwmShape> DEFAULT_SHAPES = List.of(new SrwmShape(128, 16, 26, 16),
            new SrwmShape(16, 16, 26, 16), new SrwmShape(16, 16, 151, 16), new SrwmShape(8, 8, 1000, 16));

    /**
     * What to measure.
     *
     * @param warmupSeconds  untimed warm-up (JIT compilation, caches)
     * @param measureSeconds timed repeats run at least this long
     * @param minRepeats     timed repeats at least
     * @param maxRepeats     timed repeats at most
     */
    public record Settings(double warmupSeconds, double measureSeconds, int minRepeats, int maxRepeats) {
        public Settings {
            if (warmupSeconds < 0 || measureSeconds < 0 || minRepeats < 1 || maxRepeats < minRepeats) {
                throw new IllegalArgumentException("bench settings out of range: " + warmupSeconds + " s warm-up, "
                        + measureSeconds + " s measure, repeats " + minRepeats + ".." + maxRepeats);
            }
        }

        public static Settings standard() {
            return new Settings(3, 6, 7, 200);
        }
    }

    /**
     * One measured row.
     *
     * @param shape        (B, H, T, E)
     * @param kernel       kernel name
     * @param dataType     float32 or float64
     * @param timing       forward+backward samples
     * @param tapeBytes    memory the backward needs beyond inputs and outputs (per-step vectors, checkpoints)
     * @param perStepWBytes what keeping one fast-weight matrix per step would take, for scale
     */
    public record Result(SrwmShape shape, String kernel, DataType dataType, Timing timing, long tapeBytes,
            long perStepWBytes) {

        public double positionsPerSecond() {
            return shape.batch() * (double) shape.steps() / (timing.medianMs() / 1e3);
        }

        public double gflops() {
            return shape.flopsForwardBackward() / (timing.medianMs() / 1e3) / 1e9;
        }
    }

    private LayerBench() {
    }

    public static Result run(SrwmKernel kernel, SrwmShape shape, DataType type, Settings settings, long seed) {
        INDArray x = Seeds.gaussian(type, Seeds.derive(seed, 0), 1,
                shape.batch(), shape.heads(), shape.steps(), shape.headSize());
        INDArray gy = Seeds.gaussian(type, Seeds.derive(seed, 1), 1,
                shape.batch(), shape.heads(), shape.steps(), shape.headSize());
        INDArray w = FastWeights.init(shape.heads(), shape.headSize(), type, seed);
        SrwmInput in = SrwmInput.of(x, w);
        long[] tape = new long[1];
        Timing t = Timing.measure(() -> {
            SrwmOutput out = kernel.forward(in, true);
            SrwmGradients g = kernel.backward(in, out, gy, null);
            tape[0] = out.tape().bytes();
            out.tape().release();
            if (g.dx() == null) {
                throw new IllegalStateException("kernel returned no dx");
            }
        }, settings.warmupSeconds(), 2, settings.measureSeconds(), settings.minRepeats(), settings.maxRepeats());
        long width = type.width();
        long perStepW = (long) shape.batch() * shape.heads() * shape.steps() * shape.headSize() * shape.columns()
                * width;
        return new Result(shape, kernel.name(), type, t, tape[0], perStepW);
    }
}
