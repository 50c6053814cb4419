package dev.vmbus.device.fcopy;

import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** File-copy requests built from the spec's offsets (section 3.6), independently of the production codec. */
final class FcopyWire {
    private FcopyWire() {
    }

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] request(int op, int body) {
        byte[] b = IcMessage.request(7, IcVersion.of(3, 0), IcVersion.of(1, 1), body, 0).bytes();
        le(b).putInt(28, op);
        return b;
    }

    /** START: file_name @64, path_name @584 (UTF-16, NUL-terminated), flags @1104, size @1108; 1116 bytes (padded to 8). */
    static byte[] start(String path, String name, int flags, long size) {
        byte[] b = request(0, 1088 + 4); // 1120: the padded length a guest receives
        byte[] n = name.getBytes(StandardCharsets.UTF_16LE);
        byte[] p = path.getBytes(StandardCharsets.UTF_16LE);
        System.arraycopy(n, 0, b, 64, n.length);
        System.arraycopy(p, 0, b, 584, p.length);
        le(b).putInt(1104, flags).putLong(1108, size);
        return b;
    }

    /** WRITE: offset @68, size @76, data @80. */
    static byte[] write(long offset, byte[] data) {
        int padded = (80 + data.length + 7) & ~7;
        byte[] b = request(1, padded - 28);
        le(b).putLong(68, offset).putInt(76, data.length);
        System.arraycopy(data, 0, b, 80, data.length);
        return b;
    }

    static byte[] complete() {
        return request(2, 36);
    }

    static byte[] cancel() {
        return request(3, 36);
    }

    static int status(byte[] reply) {
        return le(reply).getInt(20);
    }
}
