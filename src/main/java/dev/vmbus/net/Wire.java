package dev.vmbus.net;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Little-endian reads and writes on a private byte array, and the copy that makes it private. Reads are made
 * only after the caller checked the bounds (a decoder checks every field's end against the message's length
 * first, and reports a shortfall as its own error).
 */
final class Wire {
    private Wire() {
    }

    /** A private copy of {@code length} bytes at {@code offset} of {@code source}, checked to lie inside it. */
    static byte[] copy(MemorySegment source, long offset, int length) throws NetCodecException {
        if (offset < 0 || length < 0 || offset > source.byteSize() - length) {
            throw new NetCodecException(NetCodecException.Malformation.SOURCE_RANGE, "bytes [" + offset + ", "
                    + offset + " + " + length + ") are outside a buffer of " + source.byteSize() + " bytes");
        }
        byte[] copy = new byte[length];
        MemorySegment.copy(source, ValueLayout.JAVA_BYTE, offset, copy, 0, length);
        return copy;
    }

    /** A private copy of {@code length} bytes at {@code offset} of {@code source}, checked to lie inside it. */
    static byte[] copy(byte[] source, int offset, int length) throws NetCodecException {
        if (offset < 0 || length < 0 || offset > source.length - length) {
            throw new NetCodecException(NetCodecException.Malformation.SOURCE_RANGE, "bytes [" + offset + ", "
                    + offset + " + " + length + ") are outside a buffer of " + source.length + " bytes");
        }
        byte[] copy = new byte[length];
        System.arraycopy(source, offset, copy, 0, length);
        return copy;
    }

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    static String hex(int v) {
        return "0x" + Integer.toHexString(v);
    }

    /** {@code value} as an unsigned 32-bit number. */
    static long unsigned(int value) {
        return Integer.toUnsignedLong(value);
    }
}
