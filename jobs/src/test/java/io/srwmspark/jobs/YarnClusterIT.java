package io.srwmspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.driver.SparkSetup;
import io.srwmspark.jobs.ChildProcesses.Child;
import io.srwmspark.workers.fewshot.Checkpoint;
import io.srwmspark.workers.store.CheckpointFiles;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real YARN: a ResourceManager and a NodeManager (Hadoop's MiniYARNCluster, in this JVM), to which the job jar
 * is submitted with {@code SparkSubmit --master yarn} in a child JVM (client mode: the driver there, the
 * application master and two executors in YARN containers that the NodeManager launches as processes of their
 * own, with Spark's jars from {@code spark.yarn.jars} and ND4J, DL4J and the project from the job jar), then once
 * more in cluster mode (the driver in the application master's container). The run is
 * {@link StandaloneClusterIT}'s tiny training; its parameters must agree with the same training on
 * {@code local[2]} to 1e-5 relative, and every executor's log must show it computed.
 */
class YarnClusterIT {

    /** Kept when the test fails: the logs of every process are in it (printed at the start). */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path tmp;

    @Test
    void trainingOnYarnEqualsTrainingOnLocal2() throws Exception {
        Path root = Path.of(StandaloneClusterIT.requiredProperty("srwm.root")).toAbsolutePath().normalize();
        Path jobJar = Path.of(StandaloneClusterIT.requiredProperty("srwm.job.jar"));
        assertTrue(Files.isRegularFile(jobJar), "no job jar at " + jobJar
                + " (built by the job-jar profile at package)");
        Path sparkHome = StandaloneClusterIT.sparkHome(tmp.resolve("spark-home"));
        System.out.println("YarnClusterIT: logs in " + tmp + " (kept if the test fails)");
        long t0 = System.nanoTime();

        YarnConfiguration conf = new YarnConfiguration();
        // FIFO: no share of the cluster reserved away from application masters, as the capacity scheduler does
        conf.set(YarnConfiguration.RM_SCHEDULER,
                "org.apache.hadoop.yarn.server.resourcemanager.scheduler.fifo.FifoScheduler");
        conf.setInt(YarnConfiguration.NM_PMEM_MB, 6144);
        conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, 6144);      // MiniYARNCluster's own override
        conf.setInt(YarnConfiguration.NM_VCORES, 4);
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 256);
        conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
        conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
        conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100f);

        MiniYARNCluster yarn = new MiniYARNCluster("srwm-yarn-it", 1, 1, 1);
        ChildProcesses procs = new ChildProcesses();
        try (procs) {
            yarn.init(conf);
            yarn.start();
            Configuration live = yarn.getConfig();
            long deadline = System.nanoTime() + StandaloneClusterIT.DAEMON_START.toNanos();
            while (live.get(YarnConfiguration.RM_ADDRESS, ":0").endsWith(":0")) {   // the RM sets its port late
                assertTrue(System.nanoTime() < deadline, "the ResourceManager did not publish its address");
                Thread.sleep(100);
            }
            Path confDir = Files.createDirectories(tmp.resolve("hadoop-conf"));
            try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
                live.writeXml(out);
            }
            StandaloneClusterIT.phase(YarnClusterIT.class, "YARN up", t0);

            Map<String, String> env = new HashMap<>();
            env.put("SPARK_HOME", sparkHome.toString());
            env.put("SPARK_SCALA_VERSION", "2.12");
            env.put("SPARK_LOCAL_IP", StandaloneClusterIT.HOST);
            env.put("HADOOP_CONF_DIR", confDir.toString());
            env.put("YARN_CONF_DIR", confDir.toString());
            env.put("SRWM_HOME", "");
            env.put("OMP_NUM_THREADS", "1");
            env.put("OMP_WAIT_POLICY", "PASSIVE");
            env.put("OPENBLAS_NUM_THREADS", "1");
            List<String> java = new ArrayList<>(StandaloneClusterIT.javaCommand(sparkHome, "-Xmx768m",
                    "-XX:+UseSerialGC", "-Dsrwm.cpu.threads=1"));
            int cp = java.indexOf("-cp") + 1;
            java.set(cp, java.get(cp) + File.pathSeparator + confDir);           // the driver reads yarn-site.xml

            String javaHome = System.getProperty("java.home");
            List<String> yarnConf = List.of("spark.executor.instances=2", "spark.executor.cores=1",
                    "spark.executor.memory=1g", "spark.yarn.am.memory=512m",
                    // Spark's jars are on the (one) node already: no upload of the 300 MB folder per application
                    "spark.yarn.jars=local:" + sparkHome.resolve("jars") + File.separator + "*",
                    "spark.yarn.stagingDir=" + Files.createDirectories(tmp.resolve("staging")).toUri(),
                    "spark.yarn.am.extraJavaOptions=" + SparkSetup.jvmOptions(),
                    "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome, "spark.executorEnv.JAVA_HOME=" + javaHome,
                    "spark.scheduler.minRegisteredResourcesRatio=1.0",
                    "spark.scheduler.maxRegisteredResourcesWaitingTime=120s");
            Path yarnRun = tmp.resolve("run-yarn");
            Path localRun = tmp.resolve("run-local");
            Child local = procs.start("driver on local[2]", StandaloneClusterIT.concat(java,
                    StandaloneClusterIT.submit(root, jobJar, "local[2]", localRun, List.of())), env,
                    Files.createDirectories(tmp.resolve("driver-cwd-local")), tmp.resolve("driver-local.log"));
            Child onYarn = procs.start("driver on YARN", StandaloneClusterIT.concat(java,
                    StandaloneClusterIT.submit(root, jobJar, "yarn", yarnRun, yarnConf)), env,
                    Files.createDirectories(tmp.resolve("driver-cwd-yarn")), tmp.resolve("driver-yarn.log"));
            assertEquals(0, procs.await(onYarn, StandaloneClusterIT.TRAINING), "training on YARN failed\n"
                    + onYarn.tail(80));
            StandaloneClusterIT.phase(YarnClusterIT.class, "training on YARN done", t0);
            assertTrue(onYarn.logText().contains("srwm: Spark master yarn, 2 partitions per step"), onYarn.tail(40));

            // cluster deploy mode: the driver runs in the application master's container (the same host here, so
            // its run folder is this test's); spark-submit waits for the application and reports its status
            Path clusterModeRun = tmp.resolve("run-yarn-cluster-mode");
            List<String> clusterMode = StandaloneClusterIT.submit(root, jobJar, "yarn", clusterModeRun, yarnConf);
            clusterMode.set(clusterMode.indexOf("--deploy-mode") + 1, "cluster");
            Child inCluster = procs.start("spark-submit, YARN cluster mode", StandaloneClusterIT.concat(java,
                    clusterMode), env, Files.createDirectories(tmp.resolve("submit-cwd-yarn-cluster")),
                    tmp.resolve("submit-yarn-cluster.log"));
            assertEquals(0, procs.await(inCluster, StandaloneClusterIT.TRAINING), "training in YARN's cluster mode"
                    + " failed\n" + inCluster.tail(80));
            StandaloneClusterIT.phase(YarnClusterIT.class, "cluster-mode training done", t0);
            assertTrue(inCluster.logText().contains("final status: SUCCEEDED"), inCluster.tail(40));
            assertEquals(0, procs.await(local, StandaloneClusterIT.TRAINING), "training on local[2] failed\n"
                    + local.tail(60));

            Checkpoint onLocal = CheckpointFiles.readModel(localRun.resolve(CheckpointFiles.name("step",
                    StandaloneClusterIT.STEPS)).toString(), msg -> { });
            Checkpoint viaYarn = CheckpointFiles.readModel(yarnRun.resolve(CheckpointFiles.name("step",
                    StandaloneClusterIT.STEPS)).toString(), msg -> { });
            float rel = FewShotCommandsTest.maxRelDiff(onLocal.params(), viaYarn.params());
            assertTrue(rel <= 1e-5, "parameters after " + StandaloneClusterIT.STEPS + " steps on YARN and on local[2]"
                    + " differ by " + rel + " relative");
            Checkpoint clusterModeLast = CheckpointFiles.readModel(clusterModeRun.resolve(CheckpointFiles.name("step",
                    StandaloneClusterIT.STEPS)).toString(), msg -> { });
            float relClusterMode = FewShotCommandsTest.maxRelDiff(onLocal.params(), clusterModeLast.params());
            assertTrue(relClusterMode <= 1e-5, "parameters after " + StandaloneClusterIT.STEPS + " steps in YARN's "
                    + "cluster mode and on local[2] differ by " + relClusterMode + " relative");

            // the containers' logs, in the folders MiniYARNCluster gave its NodeManager (under target/)
            List<String> computed = new ArrayList<>();
            for (String dir : yarn.getNodeManager(0).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOG_DIRS)) {
                try (Stream<Path> s = Files.walk(Path.of(dir))) {
                    for (Path p : s.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                        String log = Files.readString(p, StandardCharsets.UTF_8);
                        if (log.contains("Running task")) {
                            computed.add(p.toString());
                        }
                    }
                }
            }
            assertEquals(4, computed.size(), "two executor containers per application ran tasks: " + computed);
        } finally {
            yarn.stop();
        }
        StandaloneClusterIT.phase(YarnClusterIT.class, "YARN stopped", t0);
        String left = procs.alive();
        assertTrue(left.isEmpty(), "processes left running:\n" + left);
    }
}
