package dev.vmbus.ring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Ring construction, raw header/data access and payloads shared by the ring and channel tests (the channel tests'
 * {@code ChannelFixture} lays two of these rings side by side). Header size is fixed at 4096. Stateless.
 */
public final class TestRings {
    public static final int HEADER = 4096;
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestRings() {
    }

    /** A freshly initialised ring ({@code hv_ringbuffer_init}) with a {@code dataSize}-byte data area. */
    public static Ring fresh(Arena arena, int dataSize) {
        Ring ring = new Ring(arena.allocate(HEADER + dataSize, 4096), HEADER);
        ring.initialize();
        return ring;
    }

    /** Sets both indices in the header, as a freshly opened ring positioned at {@code index}. */
    public static void position(Ring ring, int index) {
        setWriteIndex(ring, index);
        setReadIndex(ring, index);
    }

    public static void setWriteIndex(Ring ring, int value) {
        ring.header().set(U32, RingLayout.WRITE_INDEX_OFFSET, value);
    }

    public static void setReadIndex(Ring ring, int value) {
        ring.header().set(U32, RingLayout.READ_INDEX_OFFSET, value);
    }

    public static void setMask(Ring ring, int value) {
        ring.header().set(U32, RingLayout.INTERRUPT_MASK_OFFSET, value);
    }

    public static void setPending(Ring ring, int value) {
        ring.header().set(U32, RingLayout.PENDING_SEND_SZ_OFFSET, value);
    }

    public static void setFeatures(Ring ring, int value) {
        ring.header().set(U32, RingLayout.FEATURE_BITS_OFFSET, value);
    }

    public static int writeIndex(Ring ring) {
        return ring.header().get(U32, RingLayout.WRITE_INDEX_OFFSET);
    }

    public static int readIndex(Ring ring) {
        return ring.header().get(U32, RingLayout.READ_INDEX_OFFSET);
    }

    public static int mask(Ring ring) {
        return ring.header().get(U32, RingLayout.INTERRUPT_MASK_OFFSET);
    }

    public static int pending(Ring ring) {
        return ring.header().get(U32, RingLayout.PENDING_SEND_SZ_OFFSET);
    }

    /** The data-area byte at {@code pos} modulo dsize (reads across the wrap point). */
    public static byte dataByte(Ring ring, int pos) {
        return ring.data().get(ValueLayout.JAVA_BYTE, Math.floorMod(pos, ring.dataSize()));
    }

    /** {@code n} data-area bytes starting at {@code pos}, following the wrap. */
    public static byte[] dataBytes(Ring ring, int pos, int n) {
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = dataByte(ring, pos + i);
        }
        return out;
    }

    /** Little-endian unsigned value of {@code width} bytes at data position {@code pos}, following the wrap. */
    public static long dataLE(Ring ring, int pos, int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = v << 8 | (dataByte(ring, pos + i) & 0xFF);
        }
        return v;
    }

    public static void fillData(Ring ring, byte value) {
        ring.data().fill(value);
    }

    /** Deterministic payload bytes that are never all zero (so padding mistakes show). */
    public static byte[] payload(int length, long seed) {
        byte[] p = new byte[length];
        long x = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        for (int i = 0; i < length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            p[i] = (byte) (x | 1); // odd: never 0
        }
        return p;
    }

    /** A hand-built packet for {@link RingWriter#writeRaw}: a descriptor (with any values) and zero body. */
    public static MemorySegment rawPacket(int type, int offset8, int len8, int flags, long transId, int bytes) {
        MemorySegment p = MemorySegment.ofArray(new byte[bytes]);
        p.set(U64, 0, PacketLayout.word0(type, offset8, len8, flags));
        p.set(U64, 8, transId);
        return p;
    }
}
