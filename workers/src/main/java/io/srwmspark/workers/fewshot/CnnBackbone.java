package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.rng.DropoutSeed;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A CNN of package {@code cnn} (Conv-4, Res-12) as the few-shot model's backbone: its named parameters become
 * entries of the model's flat vector.
 *
 * @param <P> the CNN's parameter record
 */
public final class CnnBackbone<P extends io.srwmspark.workers.cnn.Backbone.Parameters> implements Backbone {

    private final io.srwmspark.workers.cnn.Backbone<P> cnn;
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    public CnnBackbone(io.srwmspark.workers.cnn.Backbone<P> cnn) {
        this.cnn = cnn;
        cnn.init(DataType.FLOAT, 0).named().forEach((k, v) -> shapes.put(k, v.shape()));
    }

    @Override
    public int features() {
        return cnn.features();
    }

    @Override
    public void declare(ParamSet.Builder params, String prefix) {
        shapes.forEach((k, s) -> params.add(prefix + k, s));
    }

    @Override
    public void init(ParamSet layout, INDArray flat, String prefix, long seed) {
        cnn.init(flat.dataType(), Component.seedFor(seed, prefix)).named()
                .forEach((k, v) -> layout.view(flat, prefix + k).assign(v));
    }

    private P views(ParamSet layout, INDArray flat, String prefix) {
        Map<String, INDArray> named = new LinkedHashMap<>();
        for (String k : shapes.keySet()) {
            named.put(k, layout.view(flat, prefix + k));
        }
        return cnn.fromNamed(named);
    }

    @Override
    public Pass forward(ParamSet layout, INDArray flat, String prefix, INDArray images, int groupSize,
            boolean training, DropoutSeed seed) {
        P p = views(layout, flat, prefix);
        io.srwmspark.workers.cnn.Backbone.Forward f = cnn.forward(p, images, groupSize, training, seed);
        return new Pass() {
            @Override
            public INDArray features() {
                return f.features();
            }

            @Override
            public void backward(INDArray dFeatures, INDArray flatGrad) {
                P g = cnn.backward(p, f, dFeatures);
                g.named().forEach((k, v) -> layout.view(flatGrad, prefix + k).addi(v));
            }
        };
    }
}
