package io.srwmspark.jobs;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./srwm data}: few-shot datasets. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Few-shot datasets: Omniglot, Mini-ImageNet and class-folder trees (docs/data.md).",
        subcommands = {DataSynthCommand.class})
final class DataCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
