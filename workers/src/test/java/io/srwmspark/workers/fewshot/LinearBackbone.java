package io.srwmspark.workers.fewshot;

import org.nd4j.linalg.api.ndarray.INDArray;

/** A test backbone: flatten the image and apply a dense layer with tanh. */
record LinearBackbone(int inputs, int features) implements Backbone {

    @Override
    public void declare(ParamSet.Builder params, String prefix) {
        params.add(prefix + "w", inputs, features);
        params.add(prefix + "b", features);
    }

    @Override
    public void init(ParamSet layout, INDArray flat, String prefix, long seed) {
        Component.uniformFanIn(layout.view(flat, prefix + "w"), inputs, seed);
        Component.uniformFanIn(layout.view(flat, prefix + "b"), inputs, seed + 1);
    }

    @Override
    public Pass forward(ParamSet layout, INDArray flat, String prefix, INDArray images, int groupSize,
            boolean training, io.srwmspark.workers.rng.DropoutSeed seed) {
        INDArray x = images.reshape('c', images.size(0), inputs);
        INDArray w = layout.view(flat, prefix + "w");
        INDArray f = org.nd4j.linalg.ops.transforms.Transforms.tanh(Linear.forward(x, w, layout.view(flat,
                prefix + "b")), true);
        return new Pass() {
            @Override
            public INDArray features() {
                return f;
            }

            @Override
            public void backward(INDArray dFeatures, INDArray flatGrad) {
                INDArray dz = dFeatures.mul(f.mul(f).rsub(1));
                INDArray dw = w.like();
                INDArray db = layout.view(flat, prefix + "b").like();
                Linear.backward(x, w, dz, dw, db, false);
                layout.view(flatGrad, prefix + "w").addi(dw);
                layout.view(flatGrad, prefix + "b").addi(db);
            }
        };
    }
}
