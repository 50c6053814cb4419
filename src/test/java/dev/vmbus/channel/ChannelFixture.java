package dev.vmbus.channel;

import dev.vmbus.ring.Ring;
import dev.vmbus.ring.RingLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/** A channel's memory (two 4096-header rings) and both ends over it, for the channel tests. */
final class ChannelFixture {
    static final int HEADER = 4096;
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final MemorySegment memory;
    final ChannelRings rings;
    final Offer offer;
    final AtomicInteger toHost = new AtomicInteger();
    final AtomicInteger toGuest = new AtomicInteger();

    /** {@code memory} holds both rings, TX first; each ring is {@code memory.byteSize() / 2}. */
    ChannelFixture(MemorySegment memory) {
        this.memory = memory;
        this.rings = ChannelRings.of(memory, HEADER);
        rings.initialize();
        this.offer = new Offer(7, UUID.randomUUID(), UUID.randomUUID(), 0, (int) (memory.byteSize() / 2));
    }

    /** Two rings of {@code 4096 + dataSize} bytes each. */
    static ChannelFixture allocate(Arena arena, int dataSize) {
        return new ChannelFixture(arena.allocate(2L * (HEADER + dataSize), 4096));
    }

    VmbusChannel guest(int requestorSize) {
        return VmbusChannel.guest(offer, rings, toHost::incrementAndGet, requestorSize);
    }

    VmbusChannel host(int requestorSize) {
        return VmbusChannel.host(offer, rings, toGuest::incrementAndGet, requestorSize);
    }

    static void set(Ring ring, int offset, int value) {
        ring.header().set(U32, offset, value);
    }

    static int get(Ring ring, int offset) {
        return ring.header().get(U32, offset);
    }

    static void position(Ring ring, int index) {
        set(ring, RingLayout.WRITE_INDEX_OFFSET, index);
        set(ring, RingLayout.READ_INDEX_OFFSET, index);
    }

    static int writeIndex(Ring ring) {
        return get(ring, RingLayout.WRITE_INDEX_OFFSET);
    }

    static int readIndex(Ring ring) {
        return get(ring, RingLayout.READ_INDEX_OFFSET);
    }

    /** Deterministic non-zero payload bytes. */
    static byte[] payload(int length, long seed) {
        byte[] p = new byte[length];
        long x = seed * 0x9E3779B97F4A7C15L + 0x2545F4914F6CDD1DL;
        for (int i = 0; i < length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            p[i] = (byte) (x | 1);
        }
        return p;
    }
}
