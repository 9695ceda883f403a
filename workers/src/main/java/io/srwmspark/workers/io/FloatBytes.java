package io.srwmspark.workers.io;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInput;
import java.io.ObjectOutput;
import java.io.ObjectStreamClass;
import java.io.ObjectStreamField;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Float arrays in Java serialization as little-endian byte blocks. {@code ObjectOutputStream} writes a
 * {@code float[]} one element at a time, and {@code ObjectInputStream} reads it back the same way: for a parameter
 * vector or a gradient, shipped a few times per training step, that loop runs too rarely to be compiled early and
 * costs ~1 ms per round trip of 200k floats even when it is. Here the array goes through a 256 KiB buffer with
 * bulk copies. The format: an {@code int} length (-1 for null), then the values, 4 bytes each, little-endian.
 */
public final class FloatBytes {

    /** Floats converted per buffer fill. */
    private static final int CHUNK = 1 << 16;

    private FloatBytes() {
    }

    /** Writes {@code values} (may be null). */
    public static void write(ObjectOutput out, float[] values) throws IOException {
        if (values == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(values.length);
        byte[] buf = new byte[Math.min(values.length, CHUNK) * Float.BYTES];
        ByteBuffer bytes = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < values.length; from += CHUNK) {
            int n = Math.min(CHUNK, values.length - from);
            bytes.clear();
            bytes.asFloatBuffer().put(values, from, n);
            out.write(buf, 0, n * Float.BYTES);
        }
    }

    /** Reads what {@link #write} wrote; {@code what} names the array in the error of a malformed stream. */
    public static float[] read(ObjectInput in, String what) throws IOException {
        int length = in.readInt();
        if (length == -1) {
            return null;
        }
        if (length < 0) {
            throw new InvalidObjectException(what + ": negative float array length " + length);
        }
        float[] values = new float[length];
        byte[] buf = new byte[Math.min(length, CHUNK) * Float.BYTES];
        ByteBuffer bytes = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < length; from += CHUNK) {
            int n = Math.min(CHUNK, length - from);
            in.readFully(buf, 0, n * Float.BYTES);
            bytes.clear();
            bytes.asFloatBuffer().get(values, from, n);
        }
        return values;
    }

    /**
     * A float vector to ship in a Spark broadcast or task: Java serialization goes through {@link FloatBytes}
     * (no default fields are written), and a field-based serializer such as Spark's Kryo still sees the array.
     * Immutable by contract: {@link #values()} hands out the array itself (a broadcast value is shared by the
     * tasks of a JVM), and nobody writes to it.
     */
    public static final class Vector implements Serializable {

        private static final long serialVersionUID = 1L;
        private static final ObjectStreamField[] serialPersistentFields = ObjectStreamClass.NO_FIELDS;

        private float[] values;

        /** Takes {@code values} over: the caller must not write to the array afterwards. */
        public Vector(float[] values) {
            this.values = java.util.Objects.requireNonNull(values, "values");
        }

        /** The values; read only. */
        public float[] values() {
            return values;
        }

        private void writeObject(java.io.ObjectOutputStream out) throws IOException {
            out.defaultWriteObject();
            write(out, values);
        }

        private void readObject(java.io.ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            values = read(in, "float vector");
            if (values == null) {
                throw new InvalidObjectException("float vector: null values");
            }
        }
    }
}
