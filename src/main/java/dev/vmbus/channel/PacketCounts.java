package dev.vmbus.channel;

import dev.vmbus.ring.PacketType;

/**
 * Packets one way on a channel, by {@code vmbus_packet_type}: in-band (6), transfer-page (7), GPA-direct (9) and
 * completion (0xB), the four types a channel carries. Immutable.
 */
public record PacketCounts(long inBand, long transferPages, long gpaDirect, long completions) {

    /** From counts indexed by packet type. */
    static PacketCounts of(long[] byType) {
        return new PacketCounts(byType[PacketType.DATA_INBAND], byType[PacketType.DATA_USING_XFER_PAGES],
                byType[PacketType.DATA_USING_GPA_DIRECT], byType[PacketType.COMP]);
    }
}
