package dev.vmbus.spi;

import dev.vmbus.ring.PacketType;

/**
 * A packet to put on a channel: what a handler replies with, or sends to {@code vmbus.channel.<relid>.send}.
 *
 * @param payload       the bytes after the descriptor; owned by the channel once sent
 * @param transactionId {@code trans_id}: echo the request's for a response
 * @param type          {@code vmbus_packet_type}, normally {@link PacketType#DATA_INBAND}
 * @param flags         descriptor flags; 0 for responses and one-way messages
 */
public record OutboundPacket(byte[] payload, long transactionId, int type, int flags) {

    public OutboundPacket {
        if (payload == null) {
            throw new IllegalArgumentException("payload is required");
        }
    }

    /** An in-band response echoing {@code transactionId}, flags 0: how Linux's util drivers answer. */
    public static OutboundPacket response(byte[] payload, long transactionId) {
        return new OutboundPacket(payload, transactionId, PacketType.DATA_INBAND, 0);
    }
}
