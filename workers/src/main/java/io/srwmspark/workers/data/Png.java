package io.srwmspark.workers.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** A minimal PNG encoder for 1-bit black-and-white images (the synthetic glyphs). */
final class Png {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private Png() {
    }

    /**
     * {@code pixels} (h, w) rows first, 0 black and anything else white, as a PNG of colour type 0 (greyscale) and
     * bit depth 1: each row a filter byte 0 and the pixels packed 8 to a byte, leftmost in the high bit.
     */
    static byte[] blackWhite(byte[] pixels, int w, int h) {
        int stride = (w + 7) / 8;
        byte[] raw = new byte[h * (stride + 1)];
        for (int y = 0; y < h; y++) {
            int row = y * (stride + 1);
            for (int x = 0; x < w; x++) {
                if (pixels[y * w + x] != 0) {
                    raw[row + 1 + (x >> 3)] |= (byte) (0x80 >>> (x & 7));
                }
            }
        }
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
        ByteArrayOutputStream idat = new ByteArrayOutputStream(raw.length / 4 + 64);
        try {
            deflater.setInput(raw);
            deflater.finish();
            byte[] buf = new byte[4096];
            while (!deflater.finished()) {
                idat.write(buf, 0, deflater.deflate(buf));
            }
        } finally {
            deflater.end();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(idat.size() + 64);
        out.writeBytes(SIGNATURE);
        byte[] ihdr = new byte[13];
        putInt(ihdr, 0, w);
        putInt(ihdr, 4, h);
        ihdr[8] = 1; // bit depth
        ihdr[9] = 0; // colour type: greyscale; compression, filter and interlace methods 0
        chunk(out, "IHDR", ihdr);
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] head = new byte[8];
        putInt(head, 0, data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, head, 4, 4);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        byte[] tail = new byte[4];
        putInt(tail, 0, (int) crc.getValue());
        out.writeBytes(head);
        out.writeBytes(data);
        out.writeBytes(tail);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
