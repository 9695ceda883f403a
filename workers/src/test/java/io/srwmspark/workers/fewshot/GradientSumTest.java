package io.srwmspark.workers.fewshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The aggregator's algebra, without Spark (after MLlib's DifferentiableLossAggregatorSuite). */
class GradientSumTest {

    private static final EpisodeSpec SPEC = new EpisodeSpec(3, 1, 2, EpisodeSpec.LabelSetting.SYNCHRONOUS);

    private final FewShotModel model = FewShotModelGradientTest.model("srwm", 3, 0);
    private final EpisodeSampler sampler = new EpisodeSampler(new FakeImages(8, 4), SPEC, 2);
    private final INDArray params = model.init(DataType.FLOAT, 1);
    private final int size = (int) model.layout().size();

    private GradientSum of(long first, int count) {
        return new GradientSum(size).add(model, params, sampler, first, count, 12, 7);
    }

    @Test
    void mergingAnEmptyAggregatorChangesNothing() {
        GradientSum a = of(0, 3);
        float[] before = a.gradient();
        a.merge(new GradientSum(size));
        assertArrayEquals(before, a.gradient(), 0f);
        GradientSum e = new GradientSum(size).merge(of(0, 3));
        assertArrayEquals(before, e.gradient(), 0f);
    }

    @Test
    void shardsSumToTheWholeBatch() {
        GradientSum whole = of(0, 6);
        GradientSum parts = of(0, 2).merge(of(2, 3)).merge(of(5, 1));
        assertEquals(whole.episodes(), parts.episodes());
        assertEquals(whole.scored(), parts.scored());
        assertEquals(whole.meanLoss(), parts.meanLoss(), 1e-5);
        float[] w = whole.gradient();
        float[] p = parts.gradient();
        double max = 0;
        double diff = 0;
        for (int i = 0; i < w.length; i++) {
            max = Math.max(max, Math.abs(w[i]));
            diff = Math.max(diff, Math.abs(w[i] - p[i]));
        }
        assertTrue(diff <= 1e-5 * max, "relative difference " + diff / max);
    }

    @Test
    void anEmptyAggregatorRefusesToReportALoss() {
        GradientSum e = new GradientSum(size);
        assertTrue(e.isEmpty());
        assertThrows(IllegalStateException.class, e::meanLoss);
        assertThrows(IllegalStateException.class, e::accuracy);
        assertThrows(IllegalArgumentException.class, () -> e.merge(new GradientSum(size + 1)));
    }

    /** Spark ships the zero value with every task and clones it per partition: it must not carry P floats. */
    @Test
    void anEmptyAggregatorSerializesSmallAndRoundTrips() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(new GradientSum(1_000_000));
        }
        assertTrue(bytes.size() < 1024, bytes.size() + " bytes");
        GradientSum full = of(0, 3);
        bytes.reset();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(full);
        }
        GradientSum back;
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
                new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            back = (GradientSum) in.readObject();
        }
        assertArrayEquals(full.gradient(), back.gradient(), 0f);
        assertEquals(full.meanLoss(), back.meanLoss());
        assertEquals(full.episodes(), back.episodes());
        assertArrayEquals(full.gradient(), new GradientSum(size).merge(back).merge(new GradientSum(size)).gradient(),
                0f);
    }
}
