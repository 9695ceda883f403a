package io.srwmspark.workers.fewshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.nn.DeltaNetBlock;
import io.srwmspark.workers.nn.LstmBlock;
import io.srwmspark.workers.nn.SrwmBlock;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Central differences through the whole few-shot model, for each sequence model and label setting. */
class FewShotModelGradientTest {

    static FewShotModel model(String sequence, int ways, double aux) {
        int d = 4;
        List<SequenceModel> layers = List.of(layer(sequence, d), layer(sequence, d));
        return new FewShotModel(new LinearBackbone(4, 3), layers, ways, d, aux);
    }

    static SequenceModel layer(String sequence, int d) {
        return switch (sequence) {
            case "srwm" -> BlockSequence.srwm(SrwmBlock.Config.of(2, 2, 6), SrwmKernels.byName("cpu"));
            case "deltanet" -> BlockSequence.deltaNet(DeltaNetBlock.Config.of(2, 2, 6));
            case "lstm" -> BlockSequence.lstm(LstmBlock.Config.of(d, 6));
            default -> throw new IllegalArgumentException(sequence);
        };
    }

    @ParameterizedTest(name = "{0} {1} aux {2}")
    @CsvSource({"srwm,SYNCHRONOUS,0", "srwm,DELAYED,0", "deltanet,SYNCHRONOUS,0", "lstm,SYNCHRONOUS,0",
        "srwm,SYNCHRONOUS,0.7", "srwm,DELAYED,0.7"})
    void analyticGradientMatchesCentralDifferences(String sequence, EpisodeSpec.LabelSetting setting, double aux) {
        EpisodeSpec spec = new EpisodeSpec(3, 2, 2, setting);
        FewShotModel m = model(sequence, 3, aux);
        EpisodeBatch batch = new EpisodeSampler(new FakeImages(8, 4), spec, 5).batch(0, 2);
        double norm = batch.scoredCount();
        INDArray p = m.init(DataType.DOUBLE, 3);
        INDArray grad = m.layout().zeros(DataType.DOUBLE);
        FewShotModel.Result r = m.run(p, batch, norm, 9, grad);
        assertEquals(batch.scoredCount(), r.scored());
        assertEquals(aux > 0, r.auxLossSum() > 0, "the auxiliary loss is active exactly when weighted");
        double eps = 1e-6;
        double worst = 0;
        java.util.SplittableRandom pick = new java.util.SplittableRandom(1);
        java.util.List<Long> indices = new java.util.ArrayList<>();
        for (ParamSet.Entry e : m.layout().entries()) {                 // three entries of every parameter
            for (int j = 0; j < 3; j++) {
                indices.add(e.offset() + pick.nextLong(e.length()));
            }
        }
        for (long i : indices) {
            double v = p.getDouble(0, i);
            p.putScalar(0, i, v + eps);
            double up = objective(m.run(p, batch, norm, 9, null), aux, norm);
            p.putScalar(0, i, v - eps);
            double down = objective(m.run(p, batch, norm, 9, null), aux, norm);
            p.putScalar(0, i, v);
            double numeric = (up - down) / (2 * eps);
            double analytic = grad.getDouble(0, i);
            double err = Math.abs(numeric - analytic) / Math.max(1e-6, Math.abs(numeric) + Math.abs(analytic));
            if (Math.abs(numeric - analytic) > 1e-8) {
                worst = Math.max(worst, err);
            }
        }
        assertTrue(worst < 1e-5, sequence + " worst relative gradient error " + worst);
    }

    private static double objective(FewShotModel.Result r, double aux, double norm) {
        return (r.lossSum() + aux * r.auxLossSum()) / norm;
    }
}
