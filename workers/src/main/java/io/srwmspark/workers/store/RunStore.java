package io.srwmspark.workers.store;

import io.srwmspark.workers.data.DataStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.StreamCapabilities;

/**
 * A run folder: a local path, or a folder on any Hadoop {@link FileSystem} ({@code file://}, {@code hdfs://},
 * {@code s3a://}, ...; configured by {@link HadoopConf}: the Hadoop files on the class path and Spark's
 * {@code spark.hadoop.*} settings). Holds flat files named without folders.
 *
 * <p>Every write goes to a hidden temporary name in the same folder and is then renamed to its final name, so a
 * reader (or a run resumed after a crash) never sees half a file: on a local disk and on HDFS a rename is atomic;
 * where an existing file is replaced and the file system cannot rename over it (HDFS, S3A), the old file is removed
 * just before the rename. Checkpoints are not replaced (their names carry the step, see
 * {@link CheckpointFiles}; only a resumed run that recomputes a step whose checkpoint did not verify writes its
 * name again), so that gap does not touch a good one. Local folders use Hadoop's raw local file system:
 * no {@code .crc} side files. On an object store (S3A) a rename is a copy and a delete, and an object appears
 * only when its upload completes, so a crash mid-write leaves at most a hidden temporary file, never a partial
 * file under the final name. The stream is synced before the rename where the file system supports it
 * (HDFS, local disks); S3A does not, and is not asked to.
 */
public final class RunStore {

    /** Writes the content of a file to a stream. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private final String location;
    private final FileSystem fs;
    private final Path root;

    private RunStore(String location, FileSystem fs, Path root) {
        this.location = location;
        this.fs = fs;
        this.root = root;
    }

    /** Opens (and creates if needed) the run folder at {@code location}: a local path or a URI. */
    public static RunStore open(String location) throws IOException {
        return open(location, HadoopConf.create());
    }

    /** As {@link #open(String)} with an explicit Hadoop configuration instead of {@link HadoopConf#create()}. */
    public static RunStore open(String location, Configuration conf) throws IOException {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("run folder location is empty");
        }
        Location l = resolve(location, conf);
        FileSystem fs = l.fs();
        Path root = l.path();
        try {
            if (fs.exists(root) && !fs.getFileStatus(root).isDirectory()) {
                throw new IllegalArgumentException("run folder " + location + " exists and is not a folder");
            }
            fs.mkdirs(root);
        } catch (IOException ex) {
            throw new IOException("cannot create run folder " + location + ": " + ex.getMessage(), ex);
        }
        return new RunStore(location, fs, root);
    }

    /** True if {@code location} (a local path or a URI) is an existing folder. */
    public static boolean isDirectory(String location) throws IOException {
        Location l = resolve(location, HadoopConf.create());
        return l.fs().exists(l.path()) && l.fs().getFileStatus(l.path()).isDirectory();
    }

    /** Opens the file at {@code location} (a local path or a URI); an IllegalArgumentException if it is missing. */
    public static InputStream openFile(String location) throws IOException {
        Location l = resolve(location, HadoopConf.create());
        try {
            return l.fs().open(l.path());
        } catch (FileNotFoundException ex) {
            throw new IllegalArgumentException(location + " does not exist", ex);
        }
    }

    private record Location(FileSystem fs, Path path) {
    }

    private static Location resolve(String location, Configuration conf) throws IOException {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("location is empty");
        }
        if (DataStore.hasScheme(location) && !location.startsWith("file:")) {
            Path p = new Path(URI.create(location));
            return new Location(p.getFileSystem(conf), p);
        }
        java.nio.file.Path local = location.startsWith("file:") ? java.nio.file.Path.of(URI.create(location))
                : java.nio.file.Path.of(location);
        return new Location(FileSystem.getLocal(conf).getRaw(), new Path(local.toAbsolutePath().normalize().toUri()));
    }

    /** The folder as given. */
    public String location() {
        return location;
    }

    /** The last element of the folder's location (to name a run, for example in Spark job descriptions). */
    public String name() {
        String l = location.replaceAll("/+$", "");
        return l.substring(l.lastIndexOf('/') + 1);
    }

    /** The full name of file {@code name}, for messages. */
    public String describe(String name) {
        return new Path(root, check(name)).toString();
    }

    /** True if this folder is on the local disk (then {@link #localFile} names its files). */
    public boolean isLocal() {
        return "file".equals(fs.getUri().getScheme());
    }

    /** The local path of file {@code name} (local folders only). */
    public java.nio.file.Path localFile(String name) {
        if (!isLocal()) {
            throw new IllegalStateException(location + " is not a local folder");
        }
        return java.nio.file.Path.of(new Path(root, check(name)).toUri());
    }

    /** Writes {@code name} atomically (temporary name, then rename), replacing an existing file of that name. */
    public void write(String name, Writer body) throws IOException {
        Path dst = new Path(root, check(name));
        Path tmp = new Path(root, "." + name + "." + UUID.randomUUID() + ".tmp");
        try (FSDataOutputStream out = fs.create(tmp, false)) {
            body.write(out);
            if (out.hasCapability(StreamCapabilities.HSYNC)) {
                out.hsync();
            }
        } catch (IOException | RuntimeException ex) {
            deleteQuietly(tmp);
            throw ex;
        }
        if (!renameOnto(tmp, dst)) {
            // HDFS and S3A do not rename over an existing file: remove it, then rename
            if (fs.exists(dst) && fs.delete(dst, false) && renameOnto(tmp, dst)) {
                return;
            }
            deleteQuietly(tmp);
            throw new IOException("cannot rename " + tmp + " to " + dst);
        }
    }

    /** Renames, false where the destination exists (HDFS returns false, S3A throws). */
    private boolean renameOnto(Path tmp, Path dst) throws IOException {
        try {
            return fs.rename(tmp, dst);
        } catch (FileAlreadyExistsException ex) {
            return false;
        }
    }

    /** Writes {@code bytes} as file {@code name}, atomically. */
    public void writeBytes(String name, byte[] bytes) throws IOException {
        write(name, out -> out.write(bytes));
    }

    public boolean exists(String name) throws IOException {
        return fs.exists(new Path(root, check(name)));
    }

    /** Opens file {@code name}; an IllegalArgumentException naming it if it does not exist. */
    public InputStream input(String name) throws IOException {
        try {
            return fs.open(new Path(root, check(name)));
        } catch (FileNotFoundException ex) {
            throw new IllegalArgumentException(describe(name) + " does not exist", ex);
        }
    }

    /** All bytes of file {@code name}. */
    public byte[] read(String name) throws IOException {
        try (InputStream in = input(name)) {
            return in.readAllBytes();
        }
    }

    /** Names of the files in the folder, sorted, without hidden (temporary) files. */
    public List<String> list() throws IOException {
        List<String> out = new ArrayList<>();
        for (FileStatus s : fs.listStatus(root)) {
            String n = s.getPath().getName();
            if (s.isFile() && !n.startsWith(".")) {
                out.add(n);
            }
        }
        Collections.sort(out);
        return out;
    }

    /** Removes file {@code name} if it exists. */
    public void delete(String name) throws IOException {
        fs.delete(new Path(root, check(name)), false);
    }

    private void deleteQuietly(Path p) {
        try {
            fs.delete(p, false);
        } catch (IOException ignored) {
            // the write already failed; that error is the one to report
        }
    }

    private static String check(String name) {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals("..")) {
            throw new IllegalArgumentException("a run file name must be a plain name, got '" + name + "'");
        }
        return name;
    }

    @Override
    public String toString() {
        return location;
    }
}
