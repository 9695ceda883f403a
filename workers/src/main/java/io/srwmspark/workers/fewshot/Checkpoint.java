package io.srwmspark.workers.fewshot;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A training checkpoint: parameters, Adam state, step, and the provenance needed to continue or to trust it
 * (effective configuration, code version, dataset identity, seed). Binary layout, big-endian:
 * <pre>
 *   "SRWMCKPT" | int version (1) | int header bytes | header (java.util.Properties text, UTF-8)
 *   | long P | P floats params | P floats Adam m | P floats Adam v | long CRC32C of all bytes before it
 * </pre>
 * Reading verifies the magic, the version, the sizes and the checksum, and says which failed.
 *
 * @param step     optimizer steps done
 * @param params   flat parameters in the model's {@link ParamSet} order
 * @param adamM    Adam first moments
 * @param adamV    Adam second moments
 * @param meta     provenance: "config" (effective configuration), "code.version", "dataset", "seed",
 *                 "best.val", "layout" and any other string entries
 */
public record Checkpoint(long step, float[] params, float[] adamM, float[] adamV, Map<String, String> meta) {

    private static final byte[] MAGIC = "SRWMCKPT".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    public Checkpoint {
        if (adamM.length != params.length || adamV.length != params.length) {
            throw new IllegalArgumentException("checkpoint arrays differ in length: " + params.length + ", "
                    + adamM.length + ", " + adamV.length);
        }
        meta = Map.copyOf(new TreeMap<>(meta));
    }

    public String meta(String key) {
        return meta.get(key);
    }

    public void write(OutputStream out) throws IOException {
        CRC32C crc = new CRC32C();
        DataOutputStream d = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(out, 1 << 20), crc));
        d.write(MAGIC);
        d.writeInt(VERSION);
        Properties p = new Properties();
        p.putAll(meta);
        p.setProperty("step", Long.toString(step));
        StringWriter sw = new StringWriter();
        p.store(sw, null);
        byte[] header = sw.toString().getBytes(StandardCharsets.UTF_8);
        d.writeInt(header.length);
        d.write(header);
        d.writeLong(params.length);
        for (float[] a : new float[][] {params, adamM, adamV}) {
            for (float v : a) {
                d.writeFloat(v);
            }
        }
        d.flush();
        long sum = crc.getValue();
        new DataOutputStream(out).writeLong(sum);
        out.flush();
    }

    /** Reads and verifies a checkpoint; {@code name} is used in error messages. */
    public static Checkpoint read(InputStream in, String name) throws IOException {
        CRC32C crc = new CRC32C();
        BufferedInputStream buffered = new BufferedInputStream(in, 1 << 20);
        DataInputStream d = new DataInputStream(new CheckedInputStream(buffered, crc));
        try {
            byte[] magic = new byte[MAGIC.length];
            d.readFully(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new IllegalArgumentException(name + " is not an srwm-spark checkpoint (bad magic)");
            }
            int version = d.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException(name + ": checkpoint version " + version + ", this build reads "
                        + VERSION);
            }
            int headerLen = d.readInt();
            if (headerLen < 0 || headerLen > (64 << 20)) {
                throw new IllegalArgumentException(name + ": corrupt checkpoint header length " + headerLen);
            }
            byte[] header = new byte[headerLen];
            d.readFully(header);
            Properties p = new Properties();
            p.load(new StringReader(new String(header, StandardCharsets.UTF_8)));
            long n = d.readLong();
            if (n < 0 || n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(name + ": corrupt checkpoint parameter count " + n);
            }
            float[][] arrays = new float[3][(int) n];
            for (float[] a : arrays) {
                for (int i = 0; i < a.length; i++) {
                    a[i] = d.readFloat();
                }
            }
            long expected = crc.getValue();
            long stored = new DataInputStream(buffered).readLong();         // after the checksummed bytes
            if (stored != expected) {
                throw new IllegalArgumentException(name + ": checkpoint checksum mismatch (stored "
                        + Long.toHexString(stored) + ", computed " + Long.toHexString(expected)
                        + "): the file is corrupt or truncated");
            }
            Map<String, String> meta = new TreeMap<>();
            for (String k : p.stringPropertyNames()) {
                meta.put(k, p.getProperty(k));
            }
            long step = Long.parseLong(meta.getOrDefault("step", "0"));
            return new Checkpoint(step, arrays[0], arrays[1], arrays[2], meta);
        } catch (EOFException ex) {
            throw new IllegalArgumentException(name + ": checkpoint is truncated", ex);
        }
    }

    /** Serialized bytes (for tests and small models). */
    public byte[] toBytes() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        write(b);
        return b.toByteArray();
    }

    public static Checkpoint fromBytes(byte[] bytes, String name) throws IOException {
        return read(new ByteArrayInputStream(bytes), name);
    }
}
