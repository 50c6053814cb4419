package dev.vmbus.channel;

import dev.vmbus.ring.PacketType;

/**
 * One received packet, copied out of the ring once and never touched by the host again.
 *
 * @param relid         the channel it arrived on
 * @param type          {@code vmbus_packet_type}
 * @param flags         descriptor flags (bit 0: completion requested)
 * @param transactionId {@code trans_id}: echo it in a response
 * @param payload       the bytes after {@code offset8*8}, up to {@code len8*8} (padding included, as Linux)
 */
public record Packet(int relid, int type, int flags, long transactionId, byte[] payload) {

    public boolean completionRequested() {
        return (flags & 1) != 0;
    }

    @Override
    public String toString() {
        return "Packet[relid=" + relid + ", type=" + PacketType.name(type) + ", flags=" + flags
                + ", transactionId=" + transactionId + ", payload=" + payload.length + " bytes]";
    }
}
