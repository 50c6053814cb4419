package dev.vmbus.device.kvp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A pool reader written from spec section 4 alone (no production code): 2560-byte records, key[512] then
 * value[2048], UTF-8, NUL-terminated. Also checks what this project promises beyond the spec: whole records
 * only, and zeros after every NUL.
 */
final class SpecPoolReader {
    record Entry(String key, String value) {
    }

    private SpecPoolReader() {
    }

    static List<Entry> read(Path file, boolean requireZeroPadding) throws IOException {
        byte[] b = Files.readAllBytes(file);
        if (requireZeroPadding && b.length % 2560 != 0) {
            throw new AssertionError("pool length " + b.length + " is not a multiple of 2560");
        }
        List<Entry> out = new ArrayList<>();
        for (int r = 0; r + 2560 <= b.length; r += 2560) {
            out.add(new Entry(field(b, r, 512, requireZeroPadding), field(b, r + 512, 2048, requireZeroPadding)));
        }
        return out;
    }

    private static String field(byte[] b, int from, int size, boolean requireZeroPadding) {
        int nul = from;
        while (b[nul] != 0) {
            nul++;
            if (nul == from + size) {
                throw new AssertionError("field at " + from + " has no NUL");
            }
        }
        if (requireZeroPadding) {
            for (int i = nul; i < from + size; i++) {
                if (b[i] != 0) {
                    throw new AssertionError("byte " + i + " after the NUL is not zero");
                }
            }
        }
        return new String(b, from, nul - from, StandardCharsets.UTF_8);
    }

    /** Builds a daemon-style record: the text, a NUL, then whatever junk the daemon's reused buffer held. */
    static byte[] daemonRecord(String key, String value, byte junk) {
        byte[] r = new byte[2560];
        java.util.Arrays.fill(r, junk);
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(k, 0, r, 0, k.length);
        r[k.length] = 0;
        System.arraycopy(v, 0, r, 512, v.length);
        r[512 + v.length] = 0;
        return r;
    }
}
