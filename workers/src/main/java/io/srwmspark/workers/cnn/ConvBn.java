package io.srwmspark.workers.cnn;

import io.srwmspark.workers.rng.Seeds;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A convolution and the batch norm after it: the parameter unit of both backbones (or its gradients).
 *
 * @param weight (cout, cin, k, k), PyTorch layout, k = 3 or 1
 * @param bias   (cout), or null for a convolution without bias
 * @param gamma  (cout) batch-norm scale
 * @param beta   (cout) batch-norm shift
 */
public record ConvBn(INDArray weight, INDArray bias, INDArray gamma, INDArray beta) {

    public ConvBn {
        Objects.requireNonNull(weight, "weight");
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(beta, "beta");
        long[] s = weight.shape();
        if (s.length != 4 || s[2] != s[3] || (s[2] != 1 && s[2] != 3)) {
            throw new IllegalArgumentException("conv weight must be (cout, cin, k, k) with k = 1 or 3, got "
                    + java.util.Arrays.toString(s));
        }
        requireVector("conv bias", bias, s[0], true);
        requireVector("bn gamma", gamma, s[0], false);
        requireVector("bn beta", beta, s[0], false);
        DataType t = weight.dataType();
        for (INDArray a : new INDArray[] {bias, gamma, beta}) {
            if (a != null && a.dataType() != t) {
                throw new IllegalArgumentException("conv/bn parameters must share one data type, found " + t + " and "
                        + a.dataType());
            }
        }
    }

    private static void requireVector(String what, INDArray a, long n, boolean nullable) {
        if (a == null) {
            if (!nullable) {
                throw new IllegalArgumentException(what + " is missing");
            }
            return;
        }
        if (a.length() != n || a.rank() > 2) {
            throw new IllegalArgumentException(what + " must have " + n + " values (one per output channel), got shape "
                    + java.util.Arrays.toString(a.shape()));
        }
    }

    public int outChannels() {
        return (int) weight.size(0);
    }

    public int inChannels() {
        return (int) weight.size(1);
    }

    public int kernel() {
        return (int) weight.size(2);
    }

    public DataType dataType() {
        return weight.dataType();
    }

    /**
     * PyTorch's default initialization: weight and bias uniform in +-1/sqrt(cin k k) (kaiming-uniform with
     * a = sqrt(5)), gamma 1, beta 0. Draws in C order from {@code Seeds.derive(seed, 0)} and
     * {@code Seeds.derive(seed, 1)}.
     */
    public static ConvBn init(int cin, int cout, int kernel, boolean withBias, DataType type, long seed) {
        double bound = 1.0 / Math.sqrt((double) cin * kernel * kernel);
        INDArray w = uniform(Seeds.derive(seed, 0), bound, cout * cin * kernel * kernel, type)
                .reshape('c', cout, cin, kernel, kernel);
        INDArray b = withBias ? uniform(Seeds.derive(seed, 1), bound, cout, type) : null;
        return new ConvBn(w, b, Nd4j.ones(type, cout), Nd4j.zeros(type, cout));
    }

    private static INDArray uniform(long seed, double bound, int n, DataType type) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (2 * rng.nextDouble() - 1) * bound;
        }
        return Nd4j.create(Nd4j.createBuffer(v), n).castTo(type);
    }

    /** Adds {@code prefix}conv.weight, conv.bias (when present), bn.gamma and bn.beta. */
    void putNamed(String prefix, Map<String, INDArray> out) {
        out.put(prefix + "conv.weight", weight);
        if (bias != null) {
            out.put(prefix + "conv.bias", bias);
        }
        out.put(prefix + "bn.gamma", gamma);
        out.put(prefix + "bn.beta", beta);
    }

    /** The unit named {@code prefix}... in {@code named}. */
    static ConvBn fromNamed(String prefix, Map<String, INDArray> named, boolean withBias) {
        return new ConvBn(require(named, prefix + "conv.weight"),
                withBias ? require(named, prefix + "conv.bias") : null,
                require(named, prefix + "bn.gamma"), require(named, prefix + "bn.beta"));
    }

    private static INDArray require(Map<String, INDArray> named, String name) {
        INDArray a = named.get(name);
        if (a == null) {
            throw new IllegalArgumentException("parameter " + name + " is missing; found " + named.keySet());
        }
        return a;
    }

    /** Checks shapes against an expected convolution and the data type against the input's. */
    void check(String what, int cin, int cout, int k, boolean withBias, DataType type) {
        if (inChannels() != cin || outChannels() != cout || kernel() != k) {
            throw new IllegalArgumentException(what + " weight must be (" + cout + ", " + cin + ", " + k + ", " + k
                    + "), got " + java.util.Arrays.toString(weight.shape()));
        }
        if ((bias != null) != withBias) {
            throw new IllegalArgumentException(what + (withBias ? " needs a conv bias" : " has no conv bias")
                    + ", got " + (bias == null ? "none" : "one"));
        }
        if (dataType() != type) {
            throw new IllegalArgumentException(what + " parameters are " + dataType() + " but the images are " + type
                    + "; use one data type for a call");
        }
    }
}
