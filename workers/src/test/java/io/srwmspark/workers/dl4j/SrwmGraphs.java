package io.srwmspark.workers.dl4j;

import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small float64 graphs around one SRWM layer: input -> "srwm" -> RnnOutputLayer "out" (MSE, identity). */
final class SrwmGraphs {

    static final String SRWM = "srwm";
    static final String OUT = "out";

    /** One test shape; ffSize 0 gives an RL block without feed-forward. */
    record Shape(String name, int batch, int heads, int headSize, int steps, int ffSize, boolean masked) {
        int width() {
            return heads * headSize;
        }

        @Override
        public String toString() {
            return name + " (B=" + batch + ", H=" + heads + ", E=" + headSize + ", T=" + steps + ", F=" + ffSize
                    + (masked ? ", masked" : "") + ")";
        }
    }

    private SrwmGraphs() {
    }

    static Layer layer(boolean rl, Shape s, RNNFormat format) {
        return rl
                ? new SrwmRlBlockLayer.Builder().heads(s.heads()).headSize(s.headSize()).ffSize(s.ffSize())
                        .dataFormat(format).build()
                : new SrwmBlockLayer.Builder().heads(s.heads()).headSize(s.headSize()).ffSize(s.ffSize())
                        .dataFormat(format).build();
    }

    static ComputationGraphConfiguration config(Layer srwm, int width, int nOut, RNNFormat format, IUpdater updater,
            WorkspaceMode workspaces, ComputationGraphConfiguration.GraphBuilder extra) {
        ComputationGraphConfiguration.GraphBuilder b = extra != null ? extra : new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(123)
                .updater(updater)
                .trainingWorkspaceMode(workspaces)
                .inferenceWorkspaceMode(workspaces)
                .graphBuilder();
        return b.addInputs("in")
                .setInputTypes(InputType.recurrent(width, format))
                .addLayer(SRWM, srwm, "in")
                .addLayer(OUT, new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).nOut(nOut).dataFormat(format).build(), SRWM)
                .setOutputs(OUT)
                .build();
    }

    static ComputationGraph graph(boolean rl, Shape s) {
        ComputationGraph g = new ComputationGraph(config(layer(rl, s, RNNFormat.NCW), s.width(), 2, RNNFormat.NCW,
                new NoOp(), WorkspaceMode.ENABLED, null));
        g.init();
        return g;
    }

    /** Adds N(0, scale) noise to every parameter, so that no parameter sits at a special value (gamma = 1). */
    static void perturb(ComputationGraph g, Random rng, double scale) {
        INDArray p = g.params();
        p.addi(randn(rng, scale, p.shape()));
    }

    static INDArray randn(Random rng, double scale, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian() * scale;
        }
        return Nd4j.create(v, shape, DataType.DOUBLE);
    }

    /** A (B, T) mask with ragged sequences: sequence b has its first b steps masked and at least one real step. */
    static INDArray raggedMask(int batch, int steps) {
        INDArray m = Nd4j.ones(DataType.DOUBLE, batch, steps);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < Math.min(b, steps - 1); t++) {
                m.putScalar(b, t, 0.0);
            }
        }
        if (steps > 2) {
            m.putScalar(0, steps - 1, 0.0);  // a padded tail too
        }
        return m;
    }
}
