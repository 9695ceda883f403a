package io.srwmspark.jobs;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./srwm fewshot}: few-shot meta-learning. */
@Command(name = "fewshot", mixinStandardHelpOptions = true,
        description = "Few-shot image classification with SRWM, Delta Net or LSTM sequence learners (docs/fewshot.md).",
        subcommands = {FewShotTrainCommand.class, FewShotEvalCommand.class})
final class FewShotCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
