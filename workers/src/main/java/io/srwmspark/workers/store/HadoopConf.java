package io.srwmspark.workers.store;

import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;

/**
 * The Hadoop configuration every file access of srwm-spark starts from (run folders, datasets, split files), so
 * that a file system is configured the way Spark users configure it:
 * <ol>
 *   <li>Hadoop's own resources: {@code core-default.xml} and a {@code core-site.xml} on the class path (spark-submit
 *       puts {@code $HADOOP_CONF_DIR} there);</li>
 *   <li>over them, every JVM system property {@code spark.hadoop.KEY=VALUE} as {@code KEY=VALUE}: spark-submit
 *       hands the driver its {@code --conf} and {@code spark-defaults.conf} entries as system properties, and
 *       {@code ./srwm} passes {@code -D} options from {@code SRWM_JAVA_OPTS};</li>
 *   <li>over those, the entries {@link #install installed} from a Spark configuration: executors learn the
 *       application's configuration from the driver, not from system properties, so the executor side installs
 *       its {@code spark.hadoop.*} entries before it reads the dataset.</li>
 * </ol>
 * This is the rule Spark applies to its own {@code hadoopConfiguration}, so that for example
 * {@code --conf spark.hadoop.fs.s3a.endpoint=...} reaches the driver's checkpoints and the executors' reads alike.
 * Hadoop caches file systems per scheme, authority and user: the configuration of the first use of a file system
 * in a JVM is the one it keeps.
 */
public final class HadoopConf {

    /** Spark's prefix for Hadoop settings. */
    public static final String PREFIX = "spark.hadoop.";

    private static final Map<String, String> INSTALLED = new TreeMap<>();

    private HadoopConf() {
    }

    /** A new configuration: Hadoop's resources, then {@code spark.hadoop.*} system properties, then installed ones. */
    public static Configuration create() {
        Configuration conf = new Configuration();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(PREFIX) && name.length() > PREFIX.length()) {
                conf.set(name.substring(PREFIX.length()), System.getProperty(name), "system property " + name);
            }
        }
        synchronized (INSTALLED) {
            INSTALLED.forEach((k, v) -> conf.set(k, v, "Spark configuration " + PREFIX + k));
        }
        return conf;
    }

    /**
     * Installs Hadoop settings for this JVM, named without the {@code spark.hadoop.} prefix (what Spark's
     * {@code SparkConf.getAllWithPrefix("spark.hadoop.")} returns). Later installs win for the same key.
     */
    public static void install(Map<String, String> settings) {
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (e.getKey() == null || e.getKey().isBlank() || e.getValue() == null) {
                throw new IllegalArgumentException("a Hadoop setting needs a key and a value, got " + e.getKey() + "="
                        + e.getValue());
            }
        }
        synchronized (INSTALLED) {
            INSTALLED.putAll(settings);
        }
    }

    /** The installed settings (tests). */
    static Map<String, String> installed() {
        synchronized (INSTALLED) {
            return Map.copyOf(INSTALLED);
        }
    }

    /** Removes the installed settings (tests). */
    static void clearInstalled() {
        synchronized (INSTALLED) {
            INSTALLED.clear();
        }
    }
}
