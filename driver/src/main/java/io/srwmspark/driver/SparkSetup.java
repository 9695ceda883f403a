package io.srwmspark.driver;

import io.srwmspark.workers.store.HadoopConf;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import scala.Tuple2;

/**
 * The Spark configuration every srwm-spark job starts from. Executors are separate JVMs on a cluster, so they
 * get the same Java 17 options as the driver ({@code spark.executor.extraJavaOptions}); whatever the user
 * already set is kept and our options are appended.
 */
public final class SparkSetup {

    private static final String JVM_OPTIONS = loadJvmOptions();

    private SparkSetup() {
    }

    /** JVM options Spark, Kryo, ND4J and the CPU SRWM kernel need on Java 17 (from the build). */
    public static String jvmOptions() {
        return JVM_OPTIONS;
    }

    /**
     * A configuration for {@code appName}; {@code master} may be null to keep what spark-submit set.
     * Settings already present in {@code base} win over our defaults, except that the JVM options are appended.
     */
    public static SparkConf conf(SparkConf base, String appName, String master) {
        SparkConf conf = base.clone().setAppName(appName);
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        conf.setIfMissing("spark.task.maxFailures", "2");
        // a shard's gradient (4 bytes per parameter) comes back in the task's status message, not through a
        // block fetch (the default direct-result limit is 1 MiB)
        conf.setIfMissing("spark.task.maxDirectResultSize", "64m");
        // the broadcast is a float vector: LZ4 barely shrinks it and costs the driver time every step
        conf.setIfMissing("spark.broadcast.compress", "false");
        for (String key : new String[] {"spark.executor.extraJavaOptions", "spark.driver.extraJavaOptions"}) {
            String current = conf.get(key, "");
            if (!current.contains("jdk.incubator.vector")) {
                conf.set(key, (current + " " + JVM_OPTIONS).trim());
            }
        }
        return conf;
    }

    /**
     * The Hadoop settings of a Spark configuration ({@code spark.hadoop.KEY=VALUE} as {@code KEY=VALUE}), for
     * {@link HadoopConf#install}: what Spark puts into its own Hadoop configuration.
     */
    public static Map<String, String> hadoopSettings(SparkConf conf) {
        Map<String, String> out = new TreeMap<>();
        for (Tuple2<String, String> kv : conf.getAllWithPrefix(HadoopConf.PREFIX)) {
            out.put(kv._1(), kv._2());
        }
        return out;
    }

    private static String loadJvmOptions() {
        Properties p = new Properties();
        try (InputStream in = SparkSetup.class.getResourceAsStream("jvm.properties")) {
            if (in == null) {
                throw new IllegalStateException("io/srwmspark/driver/jvm.properties is missing from the classpath");
            }
            p.load(in);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        String v = p.getProperty("jvm.options", "");
        if (v.isBlank() || v.contains("${")) {
            throw new IllegalStateException("jvm.properties was not filtered by the build: '" + v + "'");
        }
        return v.trim();
    }
}
