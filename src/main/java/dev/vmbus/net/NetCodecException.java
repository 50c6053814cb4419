package dev.vmbus.net;

/**
 * An NVSP or RNDIS message that breaks a rule of its format. Checked on purpose: a device must turn it into a
 * status for its peer or fault the channel with the reason, never let it escape. {@link #malformation()} names the
 * rule; the message carries the offending values.
 */
public final class NetCodecException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The rule a message broke, one per distinct check. */
    public enum Malformation {
        /** The bytes to decode are not inside the buffer they were said to be in. */
        SOURCE_RANGE,
        /** The message is shorter than the fields its type has. */
        TRUNCATED,
        /** An NVSP message type this codec does not know. */
        UNKNOWN_NVSP_TYPE,
        /** NVSP 102: {@code num_sections} needs more bytes than the message has. */
        SECTION_COUNT,
        /** NVSP 134: the send indirection table does not have the 16 entries Linux requires. */
        INDIRECTION_COUNT,
        /** NVSP 134: the table's offset and size put it outside the message. */
        INDIRECTION_OFFSET,
        /** RNDIS {@code msg_len} is smaller than its own header or larger than the bytes available. */
        RNDIS_LENGTH,
        /** An RNDIS message type this codec does not know. */
        UNKNOWN_RNDIS_TYPE,
        /** An RNDIS information (or status) buffer lies outside its message. */
        INFO_RANGE,
        /** A PACKET_MSG's frame lies outside its message or inside its header. */
        PACKET_DATA_RANGE,
        /** A PACKET_MSG carries out-of-band data (no current sender uses it; OpenVMM rejects it). */
        PACKET_OOB,
        /** A PACKET_MSG names a virtual-circuit handle (must be 0). */
        PACKET_VC_HANDLE,
        /** A PACKET_MSG's per-packet-info area lies outside its message or inside its header. */
        PPI_RANGE,
        /** A PACKET_MSG's frame and per-packet-info areas overlap. */
        PACKET_OVERLAP,
        /** A per-packet info's size is below its 12-byte header, not a multiple of 4, or past the area's end. */
        PPI_SIZE,
        /** A per-packet info's data offset is below its header, past its size, or leaves a partial word. */
        PPI_OFFSET
    }

    private final Malformation malformation;

    NetCodecException(Malformation malformation, String detail) {
        super(malformation + ": " + detail);
        this.malformation = malformation;
    }

    public Malformation malformation() {
        return malformation;
    }
}
