package io.srwmspark.jobs;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./srwm bench}: benchmarks that print a table. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks that print a table.",
        subcommands = {BenchLayerCommand.class, BenchPrecisionCommand.class, BenchFewShotCommand.class,
            BenchSparkCommand.class})
final class BenchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
