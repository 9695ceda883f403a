package io.srwmspark.workers.data;

import io.srwmspark.workers.store.HadoopConf;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * A read-only folder tree holding a dataset: a local folder, or a folder on any Hadoop {@link FileSystem}
 * ({@code hdfs://}, {@code s3a://}, {@code file://}, ...). Entries are named by paths relative to the root with
 * {@code /} as separator ({@code ""} is the root). Listings are sorted by name and leave out hidden entries
 * (names starting with {@code .}), so that readers see the same classes in the same order everywhere.
 */
public interface DataStore {

    /** The root as given. */
    String location();

    /** The full path of an entry, for messages. */
    String describe(String rel);

    boolean isDirectory(String rel) throws IOException;

    boolean isFile(String rel) throws IOException;

    /** Names of the sub-folders of {@code rel}, sorted; an IllegalArgumentException if it is not a folder. */
    List<String> listDirectories(String rel) throws IOException;

    /** Names of the files in {@code rel}, sorted; an IllegalArgumentException if it is not a folder. */
    List<String> listFiles(String rel) throws IOException;

    /** All bytes of a file. */
    byte[] read(String rel) throws IOException;

    /**
     * Opens {@code location}: a path without a scheme is a local folder (read with java.nio); a URI with a scheme
     * ({@code file:///data/omniglot}, {@code hdfs://nn:8020/data}) goes through Hadoop's FileSystem, configured
     * from the Hadoop configuration files on the classpath ({@code core-site.xml}, ...).
     */
    static DataStore open(String location) throws IOException {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("dataset location is empty");
        }
        if (hasScheme(location)) {
            return new HadoopStore(location);
        }
        Path root = Path.of(location);
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("dataset folder " + location + " does not exist or is not a folder");
        }
        return new LocalStore(location, root);
    }

    /** All bytes of one file named by a local path or a URI (split files, CSVs outside a store). */
    static byte[] readFile(String location) throws IOException {
        if (hasScheme(location)) {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(URI.create(location));
            FileSystem fs = p.getFileSystem(HadoopConf.create());
            try (FSDataInputStream in = fs.open(p)) {
                return in.readAllBytes();
            } catch (java.io.FileNotFoundException ex) {
                throw new IllegalArgumentException("file " + location + " does not exist", ex);
            }
        }
        try {
            return Files.readAllBytes(Path.of(location));
        } catch (NoSuchFileException ex) {
            throw new IllegalArgumentException("file " + location + " does not exist", ex);
        }
    }

    /** True for {@code scheme:...} with a scheme of two or more letters (so that {@code C:\data} stays local). */
    static boolean hasScheme(String location) {
        int colon = location.indexOf(':');
        if (colon < 2) {
            return false;
        }
        for (int i = 0; i < colon; i++) {
            char c = location.charAt(i);
            boolean ok = Character.isLetter(c) || (i > 0 && (Character.isDigit(c) || c == '+' || c == '-' || c == '.'));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** True for names ending in .png, .jpg or .jpeg, in any case. */
    static boolean isImageName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /** {@code a/b} joined, with "" as the root. */
    static String join(String dir, String name) {
        return dir.isEmpty() ? name : dir + "/" + name;
    }

    /** A local folder read with java.nio. */
    final class LocalStore implements DataStore {
        private final String location;
        private final Path root;

        LocalStore(String location, Path root) {
            this.location = location;
            this.root = root;
        }

        private Path path(String rel) {
            return rel.isEmpty() ? root : root.resolve(rel);
        }

        @Override
        public String location() {
            return location;
        }

        @Override
        public String describe(String rel) {
            return path(rel).toString();
        }

        @Override
        public boolean isDirectory(String rel) {
            return Files.isDirectory(path(rel));
        }

        @Override
        public boolean isFile(String rel) {
            return Files.isRegularFile(path(rel));
        }

        @Override
        public List<String> listDirectories(String rel) throws IOException {
            return list(rel, true);
        }

        @Override
        public List<String> listFiles(String rel) throws IOException {
            return list(rel, false);
        }

        private List<String> list(String rel, boolean dirs) throws IOException {
            Path dir = path(rel);
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException(dir + " is not a folder");
            }
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path e : entries) {
                    String name = e.getFileName().toString();
                    if (!name.startsWith(".") && (dirs ? Files.isDirectory(e) : Files.isRegularFile(e))) {
                        names.add(name);
                    }
                }
            }
            Collections.sort(names);
            return names;
        }

        @Override
        public byte[] read(String rel) throws IOException {
            return Files.readAllBytes(path(rel));
        }
    }

    /** A folder on a Hadoop FileSystem (FileSystem instances are cached and shared by Hadoop: never closed here). */
    final class HadoopStore implements DataStore {
        private final String location;
        private final FileSystem fs;
        private final org.apache.hadoop.fs.Path root;

        HadoopStore(String location) throws IOException {
            this.location = location;
            URI uri;
            try {
                uri = URI.create(location);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("dataset location '" + location + "' is not a valid URI: "
                        + ex.getMessage(), ex);
            }
            this.root = new org.apache.hadoop.fs.Path(uri);
            this.fs = root.getFileSystem(HadoopConf.create());
            if (!fs.exists(root) || !fs.getFileStatus(root).isDirectory()) {
                throw new IllegalArgumentException("dataset folder " + location + " does not exist or is not a folder");
            }
        }

        private org.apache.hadoop.fs.Path path(String rel) {
            return rel.isEmpty() ? root : new org.apache.hadoop.fs.Path(root, rel);
        }

        @Override
        public String location() {
            return location;
        }

        @Override
        public String describe(String rel) {
            return path(rel).toString();
        }

        @Override
        public boolean isDirectory(String rel) throws IOException {
            org.apache.hadoop.fs.Path p = path(rel);
            return fs.exists(p) && fs.getFileStatus(p).isDirectory();
        }

        @Override
        public boolean isFile(String rel) throws IOException {
            org.apache.hadoop.fs.Path p = path(rel);
            return fs.exists(p) && fs.getFileStatus(p).isFile();
        }

        @Override
        public List<String> listDirectories(String rel) throws IOException {
            return list(rel, true);
        }

        @Override
        public List<String> listFiles(String rel) throws IOException {
            return list(rel, false);
        }

        private List<String> list(String rel, boolean dirs) throws IOException {
            org.apache.hadoop.fs.Path dir = path(rel);
            if (!isDirectory(rel)) {
                throw new IllegalArgumentException(dir + " is not a folder");
            }
            List<String> names = new ArrayList<>();
            for (FileStatus s : fs.listStatus(dir)) {
                String name = s.getPath().getName();
                // Hadoop's local file system keeps checksums as hidden .NAME.crc files: skipped with the hidden names.
                if (!name.startsWith(".") && (dirs ? s.isDirectory() : s.isFile())) {
                    names.add(name);
                }
            }
            Collections.sort(names);
            return names;
        }

        @Override
        public byte[] read(String rel) throws IOException {
            try (InputStream in = fs.open(path(rel))) {
                return in.readAllBytes();
            }
        }
    }
}
