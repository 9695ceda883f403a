package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell scripts under deploy/: their syntax, the GPU discovery script against a stand-in {@code nvidia-smi},
 * and the spark-submit command lines the wrappers and the scheduled retraining build, read from a stand-in
 * {@code $SPARK_HOME/bin/spark-submit} that records its arguments.
 */
class DeployScriptsTest {

    static final Path ROOT = projectRoot();
    static final Path DEPLOY = ROOT.resolve("deploy");

    @TempDir
    Path tmp;

    Path sparkHome;
    Path recorded;
    Path jobJar;

    /** What a script did: exit code, stdout, stderr. */
    record Run(int code, String out, String err) {
    }

    @BeforeEach
    void fakeSpark() throws IOException {
        sparkHome = tmp.resolve("spark");
        recorded = tmp.resolve("spark-submit.args");
        executable(sparkHome.resolve("bin/spark-submit"), """
                #!/usr/bin/env bash
                # records its arguments one a line, and a copy of the properties file it was given
                printf '%s\\n' "$@" > "$RECORD"
                prev=""
                for a in "$@"; do
                  if [[ "$prev" == --properties-file ]]; then cp "$a" "$RECORD.properties"; fi
                  prev="$a"
                done
                """);
        jobJar = Files.writeString(tmp.resolve("srwm-jobs-job.jar"), "stands in for the job jar");
    }

    @Test
    void everyScriptIsExecutableAndParses() throws Exception {
        List<Path> scripts;
        try (Stream<Path> s = Files.walk(DEPLOY)) {
            scripts = s.filter(p -> p.toString().endsWith(".sh")).sorted().toList();
        }
        List<String> names = scripts.stream().map(p -> DEPLOY.relativize(p).toString()).toList();
        assertTrue(names.containsAll(List.of("submit-local.sh", "submit-standalone.sh", "submit-yarn.sh",
                "submit-k8s.sh", "gpu/discover-gpus.sh", "schedule/retrain.sh", "lib/common.sh")), names.toString());
        for (Path script : scripts) {
            Run r = run(List.of("bash", "-n", script.toString()), Map.of());
            assertEquals(0, r.code(), script + ": " + r.err());
            if (!script.getParent().getFileName().toString().equals("lib")) {
                assertTrue(Files.isExecutable(script), script + " is not executable");
            }
        }
    }

    @Test
    void discoveryPrintsTheGpuIndicesAsSparkResourceJson() throws Exception {
        Path bin = fakeNvidiaSmi("echo 0\necho ' 1'\necho 2\n");
        Run r = discover(bin, Map.of());
        assertEquals(0, r.code(), r.err());
        assertEquals("{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\",\"2\"]}\n", r.out());
    }

    @Test
    void discoveryRenumbersWhatCudaVisibleDevicesLeaves() throws Exception {
        Path bin = fakeNvidiaSmi("echo 0\necho 1\necho 2\necho 3\n");
        Run r = discover(bin, Map.of("CUDA_VISIBLE_DEVICES", "2,3"));
        assertEquals(0, r.code(), r.err());
        assertEquals("{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\"]}\n", r.out());
    }

    @Test
    void discoveryFailsClearlyWithoutNvidiaSmi() throws Exception {
        Run r = discover(Files.createDirectories(tmp.resolve("empty-bin")), Map.of());
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().contains("discover-gpus.sh: nvidia-smi not found on PATH"), r.err());
    }

    @Test
    void discoveryFailsClearlyWhenNvidiaSmiFailsOrPrintsNoIndex() throws Exception {
        Run failed = discover(fakeNvidiaSmi("echo 'No devices were found'\nexit 6\n"), Map.of());
        assertEquals(1, failed.code());
        assertTrue(failed.err().contains("failed: No devices were found"), failed.err());
        Run odd = discover(fakeNvidiaSmi("echo GPU-5f1c\n"), Map.of());
        assertEquals(1, odd.code());
        assertTrue(odd.err().contains("printed 'GPU-5f1c' where a GPU index was expected"), odd.err());
    }

    @Test
    void standaloneWithGpuMergesBothPropertiesFilesAndPassesTheCommandLine() throws Exception {
        Run r = wrapper("submit-standalone.sh", "--master", "spark://head:7077", "--gpu", "--total-cores", "4",
                "--conf", "spark.executor.memory=3g", "fewshot", "train", "--steps", "3", "--out", "runs/x");
        assertEquals(0, r.code(), r.err());
        List<String> args = recordedArgs();
        assertEquals(List.of("--master", "spark://head:7077", "--deploy-mode", "client"), args.subList(4, 8));
        assertTrue(String.join(" ", args).contains("--total-executor-cores 4 --conf spark.executor.memory=3g "
                + jobJar + " fewshot train --steps 3 --out runs/x"), args.toString());
        assertEquals(List.of("--class", "io.srwmspark.jobs.SrwmCli"), args.subList(2, 4));
        String props = Files.readString(Path.of(recorded + ".properties"), StandardCharsets.UTF_8);
        assertTrue(props.contains("spark.executor.extraJavaOptions") && props.contains("--add-opens"), props);
        assertTrue(props.contains("spark.executor.resource.gpu.amount") && props.contains(
                "spark.task.resource.gpu.amount"), props);
        assertFalse(Files.exists(Path.of(args.get(1))), "the merged properties file is left behind: " + args.get(1));
    }

    @Test
    void theDefaultsFileCarriesTheDriversJvmOptions() throws IOException {
        // spark-submit starts executors with this file's options before any driver code runs
        List<String> lines = Files.readAllLines(ROOT.resolve("conf/spark-defaults.conf"), StandardCharsets.UTF_8);
        for (String key : List.of("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")) {
            String value = lines.stream().filter(l -> l.startsWith(key + " ")).map(l -> l.substring(key.length())
                    .trim()).findFirst().orElseThrow(() -> new AssertionError(key + " missing"));
            assertEquals(io.srwmspark.driver.SparkSetup.jvmOptions(), value, key);
        }
    }

    @Test
    void localUsesTheDefaultsFileAsIs() throws Exception {
        Run r = wrapper("submit-local.sh", "--threads", "2", "--", "fewshot", "train", "--partitions", "2");
        assertEquals(0, r.code(), r.err());
        List<String> args = recordedArgs();
        assertEquals(List.of("--properties-file", ROOT.resolve("conf/spark-defaults.conf").toString()),
                args.subList(0, 2));
        assertTrue(String.join(" ", args).contains("--master local[2] --driver-memory 8g " + jobJar
                + " fewshot train --partitions 2"), args.toString());
    }

    @Test
    void yarnWithGpuShipsTheDiscoveryScript() throws Exception {
        Path conf = Files.createDirectories(tmp.resolve("hadoop-conf"));
        Run r = wrapper(Map.of("HADOOP_CONF_DIR", conf.toString()), "submit-yarn.sh", "--gpu", "--queue", "ml",
                "--num-executors", "3", "fewshot", "train");
        assertEquals(0, r.code(), r.err());
        String args = String.join(" ", recordedArgs());
        assertTrue(args.contains("--master yarn --deploy-mode client") && args.contains("--queue ml --num-executors 3")
                && args.contains("--files " + DEPLOY.resolve("gpu/discover-gpus.sh")
                        + " --conf spark.executor.resource.gpu.discoveryScript=./discover-gpus.sh"), args);
    }

    @Test
    void kubernetesPassesImageNamespaceAndServiceAccountAndTheJarInTheImage() throws Exception {
        Run r = wrapper(Map.of("SRWM_JOB_JAR", ""), "submit-k8s.sh", "--master", "k8s://https://10.0.0.1:6443",
                "--image", "registry.example/srwm-spark:0.1.0", "--namespace", "ml", "--service-account", "trainer",
                "--executors", "4", "fewshot", "train");
        assertEquals(0, r.code(), r.err());
        String args = String.join(" ", recordedArgs());
        assertTrue(args.contains("--master k8s://https://10.0.0.1:6443 --deploy-mode cluster"), args);
        assertTrue(args.contains("--conf spark.kubernetes.container.image=registry.example/srwm-spark:0.1.0")
                && args.contains("--conf spark.kubernetes.namespace=ml")
                && args.contains("--conf spark.kubernetes.authenticate.driver.serviceAccountName=trainer")
                && args.contains("--conf spark.executor.instances=4"), args);
        assertTrue(args.endsWith("local:///opt/srwm-spark/srwm-jobs-job.jar fewshot train"), args);
    }

    @Test
    void wrappersRefuseBadInputWithAClearMessage() throws Exception {
        record Case(Map<String, String> env, List<String> args, int code, String message) {
        }
        List<Case> cases = List.of(
                new Case(Map.of(), List.of("submit-standalone.sh", "fewshot", "train"), 2,
                        "--master spark://HOST:PORT is required"),
                new Case(Map.of(), List.of("submit-standalone.sh", "--master", "yarn", "fewshot"), 2,
                        "--master must look like spark://HOST:PORT"),
                new Case(Map.of("SPARK_HOME", ""), List.of("submit-local.sh", "fewshot", "train"), 1,
                        "SPARK_HOME is not set"),
                new Case(Map.of("SRWM_JOB_JAR", "/nonexistent/job.jar"), List.of("submit-local.sh", "fewshot"), 1,
                        "job jar '/nonexistent/job.jar' does not exist"),
                new Case(Map.of(), List.of("submit-local.sh", "--threads", "0", "fewshot"), 2,
                        "--threads wants a positive integer, got '0'"),
                new Case(Map.of(), List.of("submit-local.sh", "--bogus", "fewshot"), 2, "unknown option --bogus"),
                new Case(Map.of(), List.of("submit-local.sh", "--conf", "novalue", "fewshot"), 2,
                        "--conf wants KEY=VALUE, got 'novalue'"),
                new Case(Map.of(), List.of("submit-local.sh"), 2, "nothing to run"),
                new Case(Map.of(), List.of("submit-yarn.sh", "fewshot"), 1, "set HADOOP_CONF_DIR"),
                new Case(Map.of(), List.of("submit-k8s.sh", "--master", "k8s://https://h:6443", "fewshot"), 2,
                        "--image IMAGE is required"),
                new Case(Map.of(), List.of("submit-k8s.sh", "--image", "i", "fewshot"), 2,
                        "--master k8s://https://HOST:PORT is required"));
        for (Case c : cases) {
            Run r = wrapper(c.env(), c.args().get(0), c.args().subList(1, c.args().size()).toArray(String[]::new));
            assertEquals(c.code(), r.code(), c + ": " + r.err());
            assertTrue(r.err().contains(c.message()), c + ": " + r.err());
            assertFalse(Files.exists(recorded), c + " ran spark-submit");
        }
    }

    @Test
    void everyWrapperPrintsUsage() throws Exception {
        for (String w : List.of("submit-local.sh", "submit-standalone.sh", "submit-yarn.sh", "submit-k8s.sh")) {
            Run r = wrapper(w, "--help");
            assertEquals(0, r.code(), w + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: deploy/" + w) && r.out().contains("--gpu"), r.out());
        }
    }

    @Test
    void retrainingStartsARunThenResumesItFromItsLastCheckpoint() throws Exception {
        Path runDir = tmp.resolve("runs/nightly");
        Map<String, String> env = Map.of("SRWM_RUN_DIR", runDir.toString(), "SRWM_MINUTES", "30",
                "SRWM_SUBMIT_ARGS", "--master spark://head:7077 --total-cores 8",
                "SRWM_TRAIN_ARGS", "--set data.path=hdfs://nn/data/omniglot --partitions 8");
        Run fresh = script(env, DEPLOY.resolve("schedule/retrain.sh"));
        assertEquals(0, fresh.code(), fresh.err());
        assertTrue(String.join(" ", recordedArgs()).endsWith("fewshot train --config fewshot-omniglot.conf --out "
                + runDir + " --minutes 30 --set data.path=hdfs://nn/data/omniglot --partitions 8"), recordedArgs()
                .toString());

        Files.createDirectories(runDir);
        Files.writeString(runDir.resolve("step-000000000010.ckpt"), "stands in for a checkpoint");
        Run resumed = script(env, DEPLOY.resolve("schedule/retrain.sh"));
        assertEquals(0, resumed.code(), resumed.err());
        String args = String.join(" ", recordedArgs());
        assertTrue(args.contains("--master spark://head:7077") && args.endsWith("fewshot train --out " + runDir
                + " --resume --minutes 30 --set data.path=hdfs://nn/data/omniglot --partitions 8"), args);
        assertTrue(resumed.err().contains("resuming " + runDir + " from its newest step checkpoint"), resumed.err());

        Run bad = script(Map.of("SRWM_RUN_DIR", runDir.toString(), "SRWM_SUBMIT", "k8s"),
                DEPLOY.resolve("schedule/retrain.sh"));
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("SRWM_SUBMIT must be local, standalone or yarn"), bad.err());
    }

    private Run discover(Path bin, Map<String, String> env) throws Exception {
        Map<String, String> e = new HashMap<>(env);
        e.put("PATH", bin.toString());
        // bash by its absolute path: PATH holds nothing but the stand-in
        return run(List.of(bash(), DEPLOY.resolve("gpu/discover-gpus.sh").toString()), e);
    }

    private Path fakeNvidiaSmi(String body) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin-" + Integer.toHexString(body.hashCode())));
        executable(bin.resolve("nvidia-smi"), "#!/bin/sh\n" + body);
        return bin;
    }

    private Run wrapper(String name, String... args) throws Exception {
        return wrapper(Map.of(), name, args);
    }

    private Run wrapper(Map<String, String> env, String name, String... args) throws Exception {
        return script(env, DEPLOY.resolve(name), args);
    }

    /** Runs a script with the stand-in SPARK_HOME and job jar, {@code env} on top. */
    private Run script(Map<String, String> env, Path script, String... args) throws Exception {
        Files.deleteIfExists(recorded);
        Map<String, String> e = new HashMap<>();
        e.put("SPARK_HOME", sparkHome.toString());
        e.put("SRWM_JOB_JAR", jobJar.toString());
        e.put("RECORD", recorded.toString());
        e.put("TMPDIR", Files.createDirectories(tmp.resolve("scratch")).toString());
        for (String k : List.of("SPARK_MASTER_URL", "SPARK_K8S_MASTER", "HADOOP_CONF_DIR", "YARN_CONF_DIR")) {
            e.put(k, "");
        }
        e.putAll(env);
        List<String> cmd = new ArrayList<>(List.of(bash(), script.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, e);
    }

    private List<String> recordedArgs() throws IOException {
        assertTrue(Files.exists(recorded), "spark-submit was not run");
        return Files.readAllLines(recorded, StandardCharsets.UTF_8);
    }

    private Run run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        Map<String, String> e = pb.environment();
        env.forEach((k, v) -> {
            if (v.isEmpty()) {
                e.remove(k);
            } else {
                e.put(k, v);
            }
        });
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(cmd + " did not finish within 60 s");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static void executable(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static String bash() {
        for (String b : List.of("/bin/bash", "/usr/bin/bash")) {
            if (Files.isExecutable(Path.of(b))) {
                return b;
            }
        }
        throw new IllegalStateException("bash not found in /bin or /usr/bin");
    }

    /** The project folder: surefire runs in the module's folder (jobs/), deploy/ is beside it. */
    private static Path projectRoot() {
        Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        Path root = module.getParent();
        if (root == null || !Files.isDirectory(root.resolve("deploy"))) {
            throw new IllegalStateException("no deploy/ folder beside " + module);
        }
        return root;
    }
}
