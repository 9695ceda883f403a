package io.srwmspark.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Child processes of a test (JVMs of a Spark cluster, spark-submit drivers), each with its output in a log file,
 * stopped by PID when the test ends however it ends: {@link #close()} ends every process started here and
 * every descendant it left (executors started by a Worker), SIGTERM first, then SIGKILL. A JVM shutdown hook
 * does the same if the test JVM itself is stopped first.
 */
final class ChildProcesses implements AutoCloseable {

    /** A started process and the file its stdout and stderr go to. */
    record Child(String name, Process process, Path log) {

        /** The last {@code lines} lines of the log, for failure messages. */
        String tail(int lines) {
            try {
                List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
                return "--- last lines of " + log + " ---\n"
                        + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
            } catch (IOException ex) {
                return "(cannot read " + log + ": " + ex.getMessage() + ")";
            }
        }

        String logText() throws IOException {
            return Files.readString(log, StandardCharsets.UTF_8);
        }
    }

    private final List<Child> children = new ArrayList<>();
    private final List<ProcessHandle> seen = new ArrayList<>();
    private final Thread hook = new Thread(this::stopAll, "stop-test-child-processes");

    ChildProcesses() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts {@code command} with {@code env} added to this JVM's environment, output to {@code log}. */
    synchronized Child start(String name, List<String> command, Map<String, String> env, Path workDir, Path log)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Child c = new Child(name, pb.start(), log);
        children.add(c);
        return c;
    }

    /**
     * Waits until {@code c}'s log contains {@code text}.
     *
     * @throws AssertionError naming the process and showing its log when it exits first or time runs out
     */
    static void awaitLog(Child c, String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(c.log()) && c.logText().contains(text)) {
                return;
            }
            if (!c.process().isAlive()) {
                throw new AssertionError(c.name() + " exited with " + c.process().exitValue() + " before logging '"
                        + text + "'\n" + c.tail(40));
            }
            Thread.sleep(200);
        }
        throw new AssertionError(c.name() + " did not log '" + text + "' within " + timeout + "\n" + c.tail(40));
    }

    /**
     * Waits for {@code c} to exit and returns its exit code.
     *
     * @throws AssertionError showing its log when it is still running after {@code timeout} (it is stopped then)
     */
    int await(Child c, Duration timeout) throws InterruptedException {
        if (!c.process().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            stop(c.process().toHandle());
            throw new AssertionError(c.name() + " still running after " + timeout + " (stopped)\n" + c.tail(60));
        }
        return c.process().exitValue();
    }

    /** Every process started here and every descendant seen, for the check that none is left. */
    synchronized List<ProcessHandle> handles() {
        List<ProcessHandle> all = new ArrayList<>(seen);
        for (Child c : children) {
            all.add(c.process().toHandle());
            c.process().descendants().forEach(all::add);
        }
        return all;
    }

    /** Processes of {@link #handles()} still alive, as "name (pid)" lines; empty when all have ended. */
    String alive() {
        return handles().stream().filter(ProcessHandle::isAlive)
                .map(h -> h.pid() + " " + h.info().commandLine().orElse("?"))
                .collect(Collectors.joining("\n"));
    }

    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ex) {
            // the JVM is already shutting down: the hook runs or has run
        }
    }

    /** Stops the processes in reverse start order (Workers before their Master), descendants with them. */
    private synchronized void stopAll() {
        for (int i = children.size() - 1; i >= 0; i--) {
            stop(children.get(i).process().toHandle());
        }
    }

    private synchronized void stop(ProcessHandle root) {
        List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
        tree.add(0, root);
        seen.addAll(tree);
        for (ProcessHandle h : tree) {
            h.destroy();
        }
        for (ProcessHandle h : tree) {
            waitGone(h, Duration.ofSeconds(15));
        }
        for (ProcessHandle h : tree) {
            if (h.isAlive()) {
                h.destroyForcibly();
                waitGone(h, Duration.ofSeconds(10));
            }
        }
    }

    private static void waitGone(ProcessHandle h, Duration timeout) {
        try {
            h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
            // still alive: the caller escalates
        }
    }
}
