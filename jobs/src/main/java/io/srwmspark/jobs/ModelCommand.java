package io.srwmspark.jobs;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./srwm model}: trained models. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Trained models and checkpoints.",
        subcommands = {ModelExportParamsCommand.class})
final class ModelCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
