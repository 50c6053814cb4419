package dev.vmbus.channel;

import dev.vmbus.ring.Ring;

import java.lang.foreign.MemorySegment;

/**
 * The two rings of one channel in its memory, in the order of every userspace mapping (uio map 0, the sysfs
 * {@code ring} file, our {@code shm} ring file): the guest's outbound (TX) ring first, then its inbound (RX)
 * ring, each {@code size/2} bytes.
 *
 * @param tx guest to host: the guest writes, the host reads
 * @param rx host to guest: the host writes, the guest reads
 */
public record ChannelRings(Ring tx, Ring rx) {

    /** Splits {@code memory} (two rings) with {@code headerSize}-byte headers. */
    public static ChannelRings of(MemorySegment memory, int headerSize) {
        long size = memory.byteSize();
        if (size % 2 != 0) {
            throw new IllegalArgumentException("channel memory of " + size + " bytes cannot hold two equal rings");
        }
        long half = size / 2;
        if (half % headerSize != 0) {
            throw new IllegalArgumentException("ring size " + half + " is not a multiple of the page size " + headerSize);
        }
        return new ChannelRings(new Ring(memory.asSlice(0, half), headerSize),
                new Ring(memory.asSlice(half, half), headerSize));
    }

    /**
     * What the guest does to both headers when it opens a channel ({@code hv_ringbuffer_init}): indices 0,
     * masks 0, {@code feature_bits = 1}. Never call this on a ring that is live.
     */
    public void initialize() {
        tx.initialize();
        rx.initialize();
    }
}
