package dev.vmbus.spi;

import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;

/**
 * A packet to put on a channel: what a handler replies with, or sends to {@code vmbus.channel.<relid>.send}.
 *
 * @param payload       the bytes after the descriptor; owned by the channel once sent
 * @param transactionId {@code trans_id}: echo the request's for a response
 * @param type          {@code vmbus_packet_type}, normally {@link PacketType#DATA_INBAND}
 * @param flags         descriptor flags; 0 for responses and one-way messages
 * @param transferPages the ranges of a {@link PacketType#DATA_USING_XFER_PAGES} packet, else null; owned by the
 *                      channel once sent
 * @param gpaRanges     the ranges of a {@link PacketType#DATA_USING_GPA_DIRECT} packet, else null; owned by the
 *                      channel once sent
 */
public record OutboundPacket(byte[] payload, long transactionId, int type, int flags,
                             TransferPageRanges transferPages, GpaRanges gpaRanges) {

    public OutboundPacket {
        if (payload == null) {
            throw new IllegalArgumentException("payload is required");
        }
        if ((type == PacketType.DATA_USING_XFER_PAGES) != (transferPages != null)
                || (type == PacketType.DATA_USING_GPA_DIRECT) != (gpaRanges != null)) {
            throw new IllegalArgumentException("a " + PacketType.name(type) + " packet carries "
                    + (type == PacketType.DATA_USING_XFER_PAGES ? "transfer-page ranges"
                    : type == PacketType.DATA_USING_GPA_DIRECT ? "GPA ranges" : "no ranges"));
        }
    }

    /** A packet without ranges (in-band, completion). */
    public OutboundPacket(byte[] payload, long transactionId, int type, int flags) {
        this(payload, transactionId, type, flags, null, null);
    }

    /**
     * A completion ({@code VM_PKT_COMP}, flags 0) of the peer's packet {@code transactionId}: how a device
     * returns a transfer-page packet's receive-buffer slots or answers a request that asked for completion.
     * {@code payload} may be empty.
     */
    public static OutboundPacket completion(byte[] payload, long transactionId) {
        return new OutboundPacket(payload, transactionId, PacketType.COMP, 0);
    }

    /**
     * A GPA-direct packet ({@code vmbus_sendpacket_mpb_desc}): flags 1, so with a requestor the id written is
     * a fresh one and {@code requestId} its address.
     */
    public static OutboundPacket gpaDirect(GpaRanges ranges, byte[] payload, long requestId) {
        return new OutboundPacket(payload, requestId, PacketType.DATA_USING_GPA_DIRECT, 1, null, ranges);
    }

    /** A transfer-page packet (what a host sends) naming {@code ranges} of the buffer its page set names. */
    public static OutboundPacket transferPages(TransferPageRanges ranges, byte[] payload, long transactionId,
                                               int flags) {
        return new OutboundPacket(payload, transactionId, PacketType.DATA_USING_XFER_PAGES, flags, ranges, null);
    }

    /** An in-band response echoing {@code transactionId}, flags 0: how Linux's util drivers answer. */
    public static OutboundPacket response(byte[] payload, long transactionId) {
        return new OutboundPacket(payload, transactionId, PacketType.DATA_INBAND, 0);
    }
}
