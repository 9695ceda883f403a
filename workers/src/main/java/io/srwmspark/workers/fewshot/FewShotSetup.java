package io.srwmspark.workers.fewshot;

import io.srwmspark.workers.cnn.Conv4Backbone;
import io.srwmspark.workers.cnn.Res12Backbone;
import io.srwmspark.workers.nn.DeltaNetBlock;
import io.srwmspark.workers.nn.LstmBlock;
import io.srwmspark.workers.nn.SrwmBlock;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.util.ArrayList;
import java.util.List;

/** Builds the few-shot model a configuration describes. */
public final class FewShotSetup {

    private FewShotSetup() {
    }

    /** The model for images of (channels, height, width). */
    public static FewShotModel model(FewShotConfig cfg, int channels, int height, int width) {
        FewShotConfig.Model m = cfg.model();
        Backbone backbone = switch (m.backbone()) {
            case "conv4" -> new CnnBackbone<>(new Conv4Backbone(new Conv4Backbone.Config(channels, height, width,
                    m.channels(), m.dropout(), 1e-5)));
            case "res12" -> new CnnBackbone<>(new Res12Backbone(new Res12Backbone.Config(channels, height, width,
                    List.of(64, 96, 128, 256), m.dropout(), 1e-5)));
            default -> throw new IllegalArgumentException("model.backbone must be conv4 or res12, got " + m.backbone());
        };
        int ff = m.ffMultiplier() * m.width();
        List<SequenceModel> layers = new ArrayList<>();
        for (int l = 0; l < m.layers(); l++) {
            layers.add(switch (m.sequence()) {
                case "srwm" -> BlockSequence.srwm(new SrwmBlock.Config(m.heads(), m.headSize(), ff, m.dropout(),
                        SrwmBlock.DEFAULT_LN_EPS), SrwmKernels.byName(m.kernel()));
                case "deltanet" -> BlockSequence.deltaNet(new DeltaNetBlock.Config(m.heads(), m.headSize(), ff,
                        m.dropout(), SrwmBlock.DEFAULT_LN_EPS));
                case "lstm" -> BlockSequence.lstm(new LstmBlock.Config(m.width(), ff, m.dropout(),
                        SrwmBlock.DEFAULT_LN_EPS, true));
                default -> throw new IllegalArgumentException("model.sequence must be srwm, deltanet or lstm, got "
                        + m.sequence());
            });
        }
        return new FewShotModel(backbone, layers, cfg.episode().ways(), m.width(), cfg.train().auxProto());
    }
}
