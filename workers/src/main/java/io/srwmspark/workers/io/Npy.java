package io.srwmspark.workers.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reader and writer of NumPy {@code .npy} files (format versions 1.0 to 3.0), C order, little-endian float64 or
 * float32. Every malformed file is an {@link IllegalArgumentException} that names the file and what was wrong.
 * Writes go to a temporary file that is renamed into place, so a reader never sees half a file.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** Reads an array in its stored type (float64 or float32). */
    public static INDArray read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot read " + file + ": " + ex.getMessage(), ex);
        }
        return parse(file.toString(), bytes);
    }

    /** Reads an array from a stream; {@code name} is used in error messages. */
    public static INDArray read(String name, InputStream in) throws IOException {
        return parse(name, in.readAllBytes());
    }

    static INDArray parse(String name, byte[] bytes) {
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new IllegalArgumentException(name + " is not a .npy file (no \\x93NUMPY magic)");
        }
        int major = bytes[6];
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(bb.getShort(8));
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new IllegalArgumentException(name + ": truncated .npy header");
            }
            headerLen = bb.getInt(8);
            headerStart = 12;
        } else {
            throw new IllegalArgumentException(name + ": unsupported .npy format version " + major);
        }
        if (headerLen < 0 || headerStart + headerLen > bytes.length) {
            throw new IllegalArgumentException(name + ": truncated .npy header");
        }
        String header = new String(bytes, headerStart, headerLen, StandardCharsets.ISO_8859_1);
        String descr = group(name, DESCR, header, "descr");
        if ("True".equals(group(name, FORTRAN, header, "fortran_order"))) {
            throw new IllegalArgumentException(name + ": Fortran-order arrays are not supported; save with C order");
        }
        long[] shape = parseShape(name, group(name, SHAPE, header, "shape"));
        DataType type;
        int width;
        switch (descr) {
            case "<f8" -> {
                type = DataType.DOUBLE;
                width = 8;
            }
            case "<f4" -> {
                type = DataType.FLOAT;
                width = 4;
            }
            default -> throw new IllegalArgumentException(name + ": dtype '" + descr
                    + "' is not supported; expected '<f8' (float64) or '<f4' (float32)");
        }
        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
        }
        int dataStart = headerStart + headerLen;
        long expected = count * width;
        if (bytes.length - dataStart != expected) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " of " + descr
                    + " needs " + expected + " data bytes, file has " + (bytes.length - dataStart));
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, (int) expected).order(ByteOrder.LITTLE_ENDIAN);
        long[] nd4jShape = shape.length == 0 ? new long[0] : shape;
        if (type == DataType.DOUBLE) {
            double[] v = new double[(int) count];
            data.asDoubleBuffer().get(v);
            return Nd4j.create(v, nd4jShape, DataType.DOUBLE);
        }
        float[] v = new float[(int) count];
        data.asFloatBuffer().get(v);
        return Nd4j.create(v, nd4jShape, DataType.FLOAT);
    }

    private static String group(String name, Pattern p, String header, String key) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IllegalArgumentException(name + ": .npy header has no '" + key + "': " + header.trim());
        }
        return m.group(1);
    }

    private static long[] parseShape(String name, String text) {
        String[] parts = text.split(",");
        return Arrays.stream(parts).map(String::trim).filter(s -> !s.isEmpty()).mapToLong(s -> {
            try {
                long v = Long.parseLong(s);
                if (v < 0) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(name + ": bad .npy shape (" + text + ")", ex);
            }
        }).toArray();
    }

    /** Writes {@code a} in its own type (float64 or float32), atomically (temporary file, then rename). */
    public static void write(INDArray a, Path file) throws IOException {
        DataType type = a.dataType();
        if (type != DataType.DOUBLE && type != DataType.FLOAT) {
            throw new IllegalArgumentException("only float64 and float32 arrays can be written, got " + type);
        }
        int width = type == DataType.DOUBLE ? 8 : 4;
        String[] dims = Arrays.stream(a.shape()).mapToObj(Long::toString).toArray(String[]::new);
        String shape = dims.length == 1 ? dims[0] + "," : String.join(", ", dims);
        String dict = "{'descr': '" + (width == 8 ? "<f8" : "<f4") + "', 'fortran_order': False, 'shape': ("
                + shape + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        long n = a.length();
        ByteBuffer buf = ByteBuffer.allocate((int) (10 + header.length() + n * width)).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        buf.put(header.getBytes(StandardCharsets.ISO_8859_1));
        INDArray c = a.dup('c');
        if (width == 8) {
            for (double v : c.data().asDouble()) {
                buf.putDouble(v);
            }
        } else {
            for (float v : c.data().asFloat()) {
                buf.putFloat(v);
            }
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            out.write(buf.array());
        } catch (IOException | RuntimeException ex) {
            Files.deleteIfExists(tmp);
            throw ex;
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
