package io.srwmspark.jobs;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./srwm}: the command line of srwm-spark. */
@Command(name = "srwm", mixinStandardHelpOptions = true, versionProvider = SrwmCli.Version.class,
        description = "Self-referential weight matrix (SRWM) networks: layer checks, benchmarks, training.",
        subcommands = {FewShotCommand.class, DataCommand.class, ModelCommand.class, ReferenceCheckCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class})
public final class SrwmCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code = run(args);
        if (code == 0 && inYarnApplicationMaster(System.getProperty("spark.master"),
                System.getProperty("spark.submit.deployMode"))) {
            // YARN's cluster mode runs main in the application master, which reports success only when main
            // returns: an exit, even exit(0), first marks the application FAILED and YARN retries it
            return;
        }
        System.exit(code);
    }

    /** True where main runs inside YARN's application master (spark-submit --master yarn --deploy-mode cluster). */
    static boolean inYarnApplicationMaster(String master, String deployMode) {
        return master != null && master.startsWith("yarn") && "cluster".equals(deployMode);
    }

    /** Runs the command line and returns its exit code (for tests and embedding). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The command line with srwm's error handling: bad input prints one line naming it and exits with 2. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new SrwmCli());
        cli.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof java.io.IOException) {
                line.getErr().println("srwm: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The version from the jar manifest, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = SrwmCli.class.getPackage().getImplementationVersion();
            return new String[] {"srwm-spark " + (v == null ? "dev" : v)};
        }
    }
}
