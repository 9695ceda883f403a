package io.srwmspark.workers.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FloatBytesTest {

    private static byte[] serialize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static Object deserialize(byte[] b) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
            return in.readObject();
        }
    }

    /** Any bit pattern (NaN payloads, -0, infinities, subnormals) comes back; lengths around the chunk size. */
    @ParameterizedTest(name = "{0} floats")
    @ValueSource(ints = {0, 1, 7, 65_535, 65_536, 65_537, 200_003})
    void everyBitComesBack(int n) throws Exception {
        SplittableRandom rng = new SplittableRandom(n);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = Float.intBitsToFloat(rng.nextInt());
        }
        FloatBytes.Vector back = (FloatBytes.Vector) deserialize(serialize(new FloatBytes.Vector(values)));
        assertEquals(n, back.values().length);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(back.values()[i]), "at " + i);
        }
    }

    /** 4 bytes per value, plus the stream's block headers (5 bytes per KiB) and the class description. */
    @Test
    void aVectorCostsFourBytesPerValueAndLittleMore() throws Exception {
        int n = 100_000;
        int size = serialize(new FloatBytes.Vector(new float[n])).length;
        assertTrue(size >= 4 * n && size < 4 * n + 4 * n / 1024 * 5 + 512, size + " bytes");
    }

    @Test
    void nullRoundTripsAndANegativeLengthIsRefusedByName() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            FloatBytes.write(out, null);
            out.writeInt(-5);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertNull(FloatBytes.read(in, "x"));
            InvalidObjectException e = assertThrows(InvalidObjectException.class,
                    () -> FloatBytes.read(in, "the thing"));
            assertTrue(e.getMessage().contains("the thing") && e.getMessage().contains("-5"), e.getMessage());
        }
    }

    @Test
    void aTruncatedStreamFails() throws Exception {
        byte[] whole = serialize(new FloatBytes.Vector(new float[1000]));
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 100);
        assertThrows(IOException.class, () -> deserialize(cut));
        assertArrayEquals(new float[1000], ((FloatBytes.Vector) deserialize(whole)).values());
    }
}
