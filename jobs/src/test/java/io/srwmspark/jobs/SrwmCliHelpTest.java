package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command's help renders cleanly (no description that picocli cannot format: a bare '%'); how main ends. */
class SrwmCliHelpTest {

    private static void collect(CommandLine cl, List<CommandLine> all) {
        all.add(cl);
        cl.getSubcommands().values().forEach(sub -> collect(sub, all));
    }

    @Test
    void everyCommandsHelpFormatsWithoutWarnings() {
        List<CommandLine> all = new ArrayList<>();
        collect(SrwmCli.commandLine(), all);
        PrintStream was = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> bad = new ArrayList<>();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            for (CommandLine cl : all) {
                String usage = cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
                String warned = err.toString(StandardCharsets.UTF_8);
                if (!warned.isEmpty() || usage.contains("%n")) {
                    bad.add(cl.getCommandSpec().qualifiedName() + ": " + warned.strip());
                }
                err.reset();
            }
        } finally {
            System.setErr(was);
        }
        assertFalse(all.size() < 10, "found only " + all.size() + " commands");
        assertEquals(List.of(), bad);
    }

    /** main leaves the JVM to YARN's application master only where it runs inside one (YarnClusterIT runs it). */
    @Test
    void mainReturnsInsteadOfExitingOnlyInYarnClusterMode() {
        assertTrue(SrwmCli.inYarnApplicationMaster("yarn", "cluster"));
        assertFalse(SrwmCli.inYarnApplicationMaster("yarn", "client"));
        assertFalse(SrwmCli.inYarnApplicationMaster("yarn", null));
        assertFalse(SrwmCli.inYarnApplicationMaster("spark://h:7077", "cluster"));
        assertFalse(SrwmCli.inYarnApplicationMaster("k8s://https://h:6443", "cluster"));
        assertFalse(SrwmCli.inYarnApplicationMaster(null, null));
    }
}
