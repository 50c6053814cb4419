package dev.vmbus.channel;

import dev.vmbus.ring.TestRings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A channel's memory (two {@link TestRings} rings, TX first) and both ends over it, for the channel tests. Header
 * and data access and payloads are {@link TestRings}'. Used from the test's thread only.
 */
public final class ChannelFixture {
    final MemorySegment memory;
    public final ChannelRings rings;
    public final Offer offer;
    final AtomicInteger toHost = new AtomicInteger();
    public final AtomicInteger toGuest = new AtomicInteger();

    /** {@code memory} holds both rings, TX first; each ring is {@code memory.byteSize() / 2}. */
    public ChannelFixture(MemorySegment memory) {
        this.memory = memory;
        this.rings = ChannelRings.of(memory, TestRings.HEADER);
        rings.initialize();
        this.offer = new Offer(7, UUID.randomUUID(), UUID.randomUUID(), 0, (int) (memory.byteSize() / 2));
    }

    /** Two rings of {@code 4096 + dataSize} bytes each. */
    public static ChannelFixture allocate(Arena arena, int dataSize) {
        return new ChannelFixture(arena.allocate(2L * (TestRings.HEADER + dataSize), 4096));
    }

    public VmbusChannel guest(int requestorSize) {
        return VmbusChannel.guest(offer, rings, toHost::incrementAndGet, requestorSize);
    }

    public VmbusChannel host(int requestorSize) {
        return VmbusChannel.host(offer, rings, toGuest::incrementAndGet, requestorSize);
    }
}
