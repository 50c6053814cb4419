package dev.vmbus.device.kvp;

import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** KVP requests built from the spec's offsets (section 3.4.2), independently of the production codec. */
final class KvpWire {
    private KvpWire() {
    }

    /** A host request for ops 0-3: fixed 2580-byte body, 2608 bytes in all. */
    static byte[] request(int op, int pool) {
        byte[] b = IcMessage.request(2, IcVersion.of(3, 0), IcVersion.of(4, 0), 2580, 0).bytes();
        b[28] = (byte) op;
        b[29] = (byte) pool;
        return b;
    }

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Writes {@code s} as UTF-16LE + NUL at {@code at}, and its byte size at {@code sizeAt}. */
    static void string(byte[] b, int sizeAt, int at, String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_16LE);
        System.arraycopy(u, 0, b, at, u.length);
        b[at + u.length] = 0;
        b[at + u.length + 1] = 0;
        le(b).putInt(sizeAt, u.length + 2);
    }

    static byte[] set(int pool, String key, String value) {
        byte[] b = request(1, pool);
        le(b).putInt(32, 1);
        string(b, 36, 44, key);
        string(b, 40, 556, value);
        return b;
    }

    static byte[] enumerate(int pool, int index) {
        byte[] b = request(3, pool);
        le(b).putInt(32, index);
        return b;
    }

    static byte[] get(int pool, String key) {
        byte[] b = request(0, pool);
        string(b, 36, 44, key);
        return b;
    }

    static byte[] delete(int pool, String key) {
        byte[] b = request(2, pool);
        string(b, 32, 36, key);
        return b;
    }

    static int status(byte[] reply) {
        return le(reply).getInt(20);
    }

    /** The UTF-16 string of {@code sizeBytes} (NUL included) at {@code at}. */
    static String text(byte[] reply, int sizeAt, int at) {
        int size = le(reply).getInt(sizeAt);
        return new String(reply, at, size - 2, StandardCharsets.UTF_16LE);
    }
}
