package dev.vmbus.ring;

/**
 * Why a ring stopped being trusted. Linux clamps a bad descriptor and delivers a truncated packet; we reject it
 * and stop using the ring, because every later offset would be derived from a value the peer forged.
 *
 * @param kind   which rule was broken
 * @param detail the offending values, for the log and the dashboard
 */
public record RingFault(Kind kind, String detail) {

    public enum Kind {
        /** The peer's {@code write_index} is {@code >= dsize} or not a multiple of 8. */
        WRITE_INDEX_INVALID,
        /** The peer's {@code read_index} is {@code >= dsize} or not a multiple of 8. */
        READ_INDEX_INVALID,
        /** Fewer bytes were published than the smallest packet (descriptor plus trailer) needs. */
        TRUNCATED_PACKET,
        /** {@code offset8 * 8 < 16}: the payload would start inside the descriptor. */
        DATA_OFFSET_TOO_SMALL,
        /** {@code offset8 > len8}: the payload would start after the packet's end. */
        DATA_OFFSET_BEYOND_LENGTH,
        /** {@code len8 * 8 + 8} is more than the bytes the peer published. */
        LENGTH_BEYOND_AVAILABLE,
        /** A layer above the ring found the packet unusable (for example a forged completion). */
        PROTOCOL
    }

    @Override
    public String toString() {
        return kind + ": " + detail;
    }
}
