package io.srwmspark.workers.bench;

import io.srwmspark.workers.cnn.Backbone;
import io.srwmspark.workers.cnn.Conv4Backbone;
import io.srwmspark.workers.cnn.PhaseTimes;
import io.srwmspark.workers.cnn.Res12Backbone;
import io.srwmspark.workers.rng.Seeds;
import io.srwmspark.workers.srwm.CpuSrwmKernel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Times a CNN backbone's training step (forward with tape, then backward) on random images, default the
 * paper's Omniglot config: Conv-4 with 64 channels on a batch of 128 episodes of 6 images (768 x 1 x 28 x 28),
 * float32. Reports medians after warm-up (as {@link LayerBench}) and the mean time of every phase.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp <workers classpath>
 * io.srwmspark.workers.bench.BackboneBench [conv4|res12] [images] [groupSize] [float32|float64]}; threads
 * from {@code -Dsrwm.cpu.threads} (default: all cores).
 */
public final class BackboneBench {

    /**
     * One measured configuration.
     *
     * @param backbone        name and config
     * @param dataType        float32 or float64
     * @param images          N
     * @param groupSize       images per episode
     * @param threads         pool parallelism
     * @param forward         training forward alone (tape kept, then released)
     * @param forwardBackward forward plus backward
     * @param phaseMillis     mean per forward+backward of every phase ({@link PhaseTimes})
     */
    public record Result(String backbone, DataType dataType, int images, int groupSize, int threads, Timing forward,
            Timing forwardBackward, Map<String, Double> phaseMillis) {
    }

    private BackboneBench() {
    }

    /** Times {@code net} (built on {@code times}) on random (n, C, H, W) images. */
    public static <P extends Backbone.Parameters> Result run(String name, Backbone<P> net, PhaseTimes times,
            int threads, long[] imageShape, int groupSize, DataType type, LayerBench.Settings settings, long seed) {
        INDArray images = Seeds.gaussian(type, Seeds.derive(seed, 0), 1, imageShape);
        INDArray g = Seeds.gaussian(type, Seeds.derive(seed, 1), 1, imageShape[0], net.features());
        P p = net.init(type, Seeds.derive(seed, 2));
        long[] step = new long[1];
        Timing fwd = Timing.measure(() -> net.forward(p, images, groupSize, true, step[0]++).release(),
                settings.warmupSeconds() / 3, 1, settings.measureSeconds() / 3, 3, settings.maxRepeats());
        Runnable fb = () -> {
            Backbone.Forward f = net.forward(p, images, groupSize, true, step[0]++);
            net.backward(p, f, g);
        };
        Timing.measure(fb, settings.warmupSeconds(), 2, 0, 1, 1);
        times.clear();
        Timing both = Timing.measure(fb, 0, 0, settings.measureSeconds(), settings.minRepeats(),
                settings.maxRepeats());
        int reps = both.samplesMs().length;
        Map<String, Double> phases = new LinkedHashMap<>();
        times.millis().forEach((k, v) -> phases.put(k, v / reps));
        return new Result(name, type, (int) imageShape[0], groupSize, threads, fwd, both, phases);
    }

    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "conv4";
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 768;
        int group = args.length > 2 ? Integer.parseInt(args[2]) : 6;
        DataType type = args.length > 3 && args[3].equals("float64") ? DataType.DOUBLE : DataType.FLOAT;
        ForkJoinPool pool = CpuSrwmKernel.sharedPool();
        PhaseTimes times = new PhaseTimes();
        LayerBench.Settings settings = new LayerBench.Settings(4, 6, 5, 50);
        Result r;
        if (which.equals("res12")) {
            Res12Backbone.Config cfg = Res12Backbone.Config.miniImageNet();
            r = run("res12 " + cfg, new Res12Backbone(cfg, pool, times), times, pool.getParallelism(),
                    new long[] {n, cfg.inChannels(), cfg.height(), cfg.width()}, group, type, settings, 1);
        } else {
            Conv4Backbone.Config cfg = Conv4Backbone.Config.omniglot();
            r = run("conv4 " + cfg, new Conv4Backbone(cfg, pool, times), times, pool.getParallelism(),
                    new long[] {n, cfg.inChannels(), cfg.height(), cfg.width()}, group, type, settings, 1);
        }
        System.out.printf("%s, %s, %d images in episodes of %d, %d threads%n", r.backbone(), r.dataType(),
                r.images(), r.groupSize(), r.threads());
        System.out.printf("forward           median %8.1f ms (min %.1f, MAD %.1f, %d runs)%n", r.forward().medianMs(),
                r.forward().minMs(), r.forward().madMs(), r.forward().samplesMs().length);
        System.out.printf("forward+backward  median %8.1f ms (min %.1f, MAD %.1f, %d runs)%n",
                r.forwardBackward().medianMs(), r.forwardBackward().minMs(), r.forwardBackward().madMs(),
                r.forwardBackward().samplesMs().length);
        r.phaseMillis().forEach((k, v) -> System.out.printf("  %-24s %8.1f ms%n", k, v));
    }
}
