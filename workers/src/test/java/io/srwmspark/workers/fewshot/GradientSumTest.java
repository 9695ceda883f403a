package io.srwmspark.workers.fewshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.nn.SrwmBlock;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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

    /**
     * The pass workspace hands the same memory to every pass: passes of changing sizes, in and out of it, give
     * bitwise the gradients and losses of passes without it (a temporary that outlived its pass, or memory reused
     * while still in use, would show here).
     */
    @ParameterizedTest
    @ValueSource(strings = {"srwm", "srwm-nd4j", "deltanet", "lstm"})
    void theReusedPassWorkspaceChangesNoBit(String sequence) {
        FewShotModel m = sequence.equals("srwm-nd4j")
                ? new FewShotModel(new LinearBackbone(4, 3), List.of(
                        BlockSequence.srwm(SrwmBlock.Config.of(2, 2, 6), SrwmKernels.byName("nd4j")),
                        BlockSequence.srwm(SrwmBlock.Config.of(2, 2, 6), SrwmKernels.byName("nd4j"))), 3, 4, 0)
                : FewShotModelGradientTest.model(sequence, 3, 0.5);
        INDArray p = m.init(DataType.FLOAT, 3);
        int n = (int) m.layout().size();
        int[][] passes = {{0, 3}, {3, 3}, {6, 5}, {11, 1}, {0, 3}, {12, 6}};
        for (int[] pass : passes) {
            EpisodeBatch batch = sampler.batch(pass[0], pass[1]);
            INDArray expected = m.layout().zeros(DataType.FLOAT);
            FewShotModel.Result plain = m.pass(p, batch, 12, 7, expected, null);
            GradientSum inWorkspace = new GradientSum(n).add(m, p, sampler, pass[0], pass[1], 12, 7);
            assertArrayEquals(expected.data().asFloat(), inWorkspace.gradient(), 0f, sequence + " pass " + pass[0]);
            assertEquals(plain.lossSum() / plain.scored(), inWorkspace.meanLoss(), 0, sequence + " loss, pass " + pass[0]);
        }
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
        assertEquals(full.accuracy(), back.accuracy());
        assertEquals(full.episodes(), back.episodes());
        assertEquals(full.scored(), back.scored());
        assertEquals(full.maxShardNanos(), back.maxShardNanos());
        assertEquals(full.computeNanos(), back.computeNanos());
        assertArrayEquals(full.gradient(), new GradientSum(size).merge(back).merge(new GradientSum(size)).gradient(),
                0f);
    }
}
