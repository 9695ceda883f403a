package io.srwmspark.jobs;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * A real S3 endpoint on 127.0.0.1 for tests: S3Proxy serving a local folder through the S3 REST API, with AWS
 * signatures checked, in a JVM of its own (its self-contained jar, which Maven copies to
 * {@code target/s3proxy/s3proxy.jar}, so that none of its dependencies meets Spark's). Each folder under
 * {@link #folder()} is a bucket, and each object a file in it, which a test can read; objects are put through
 * the API ({@link #upload}), which records their ETags. Stopped with the {@link ChildProcesses} that started it.
 *
 * @param port the endpoint's port
 * @param folder the folder S3Proxy serves
 */
record S3Endpoint(int port, Path folder) {

    static final String BUCKET = "srwm-test";
    private static final String KEY = "srwm-key";
    private static final String SECRET = "srwm-secret";

    /** Starts S3Proxy on a free port, serving {@code dir}/s3 with one empty bucket {@link #BUCKET}. */
    static S3Endpoint start(ChildProcesses processes, Path dir) throws IOException, InterruptedException {
        Path jar = Path.of("target", "s3proxy", "s3proxy.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: Maven's process-test-resources phase copies it there");
        }
        Path base = Files.createDirectories(dir.resolve("s3"));
        Files.createDirectories(base.resolve(BUCKET));
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Path properties = dir.resolve("s3proxy.properties");
        Files.writeString(properties, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + KEY,
                "s3proxy.credential=" + SECRET,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + base), StandardCharsets.UTF_8);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ChildProcesses.Child s3 = processes.start("S3Proxy", List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-jar", jar.toString(), "--properties", properties.toString()), Map.of(), dir,
                dir.resolve("s3proxy.log"));
        ChildProcesses.awaitLog(s3, "Started Server", Duration.ofSeconds(60));
        return new S3Endpoint(port, base);
    }

    /** The Hadoop settings S3A needs for this endpoint (keys without Spark's {@code spark.hadoop.} prefix). */
    Map<String, String> hadoopSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("fs.s3a.endpoint", "http://127.0.0.1:" + port);
        s.put("fs.s3a.path.style.access", "true");
        s.put("fs.s3a.connection.ssl.enabled", "false");
        s.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        s.put("fs.s3a.access.key", KEY);
        s.put("fs.s3a.secret.key", SECRET);
        // S3Proxy's folder back end keeps a directory marker as a folder, and deleting the marker of a folder that
        // holds files fails there after seconds of retries; S3A (3.3) deletes the parents' markers after every
        // write unless it keeps them, which it does by default from Hadoop 3.4 on
        s.put("fs.s3a.directory.marker.retention", "keep");
        return s;
    }

    /** {@link #hadoopSettings()} as spark-submit {@code --conf} values ({@code spark.hadoop.KEY=VALUE}). */
    List<String> sparkConfs() {
        List<String> out = new ArrayList<>();
        hadoopSettings().forEach((k, v) -> out.add("spark.hadoop." + k + "=" + v));
        return out;
    }

    /** The {@code s3a://} URI of {@code key} in the test bucket. */
    static String uri(String key) {
        return "s3a://" + BUCKET + "/" + key;
    }

    /** Uploads the files under the local folder {@code from} to {@code key}/ in the test bucket, through S3A. */
    void upload(Path from, String key) throws IOException {
        Configuration conf = new Configuration();
        hadoopSettings().forEach(conf::set);
        try (FileSystem fs = FileSystem.newInstance(URI.create(uri("")), conf)) {
            fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(from.toUri()), new org.apache.hadoop.fs.Path("/" + key));
        }
    }

    /** The file behind the object {@code key} of the test bucket (to read what S3A wrote). */
    Path object(String key) {
        return folder.resolve(BUCKET).resolve(key);
    }
}
