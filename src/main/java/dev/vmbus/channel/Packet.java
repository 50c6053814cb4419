package dev.vmbus.channel;

import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;

/**
 * One received packet, copied out of the ring once and never touched by the host again.
 *
 * @param relid         the channel it arrived on
 * @param type          {@code vmbus_packet_type}
 * @param flags         descriptor flags (bit 0: completion requested)
 * @param transactionId {@code trans_id}: echo it in a response
 * @param payload       the bytes after {@code offset8*8}, up to {@code len8*8} (padding included, as Linux)
 * @param transferPages the transfer-page set and ranges of a type 7 packet ({@code null} for other types): this
 *                      packet's own validated copy, offsets into the buffer the page set names
 * @param gpaRanges     the GPA ranges of a type 9 packet ({@code null} for other types), this packet's own copy
 */
public record Packet(int relid, int type, int flags, long transactionId, byte[] payload,
                     TransferPageRanges transferPages, GpaRanges gpaRanges) {

    /** A packet without ranges (in-band or completion). */
    public Packet(int relid, int type, int flags, long transactionId, byte[] payload) {
        this(relid, type, flags, transactionId, payload, null, null);
    }

    /** A completion ({@code VM_PKT_COMP}): {@link #transactionId()} names the request it completes. */
    public boolean isCompletion() {
        return type == PacketType.COMP;
    }

    public boolean completionRequested() {
        return (flags & 1) != 0;
    }

    @Override
    public String toString() {
        return "Packet[relid=" + relid + ", type=" + PacketType.name(type) + ", flags=" + flags
                + ", transactionId=" + transactionId + ", payload=" + payload.length + " bytes"
                + (transferPages != null ? ", " + transferPages : "") + (gpaRanges != null ? ", " + gpaRanges : "")
                + "]";
    }
}
