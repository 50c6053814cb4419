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
        PROTOCOL,
        /** A packet type real devices never send: only 6 (in-band), 7 (transfer pages), 9 (GPA-direct) and
         * 0xB (completion) are accepted, as OpenVMM does. */
        UNKNOWN_TYPE,
        /** Flag bits other than bit 0 (completion requested). */
        INVALID_FLAGS,
        /** A transfer-page or GPA-direct packet whose {@code offset8*8} is below the 24 bytes its fixed header needs. */
        HEADER_TOO_SHORT,
        /** A transfer-page or GPA-direct packet with {@code range_cnt == 0}. */
        RANGE_COUNT_ZERO,
        /** {@code range_cnt} ranges do not fit between byte 24 and {@code offset8*8}. */
        RANGE_COUNT_OVERRUNS_HEADER,
        /** A range with {@code byte_count == 0}. */
        RANGE_BYTE_COUNT_ZERO,
        /** A GPA range whose {@code byte_offset} is past the first 4 KiB page ({@code > 0xFFF}). */
        RANGE_OFFSET_PAST_PAGE,
        /** A GPA range whose PFN list ({@code ceil((byte_offset + byte_count) / 4096)} entries) runs past
         * {@code offset8*8}. */
        PFN_LIST_OVERRUNS_HEADER
    }

    @Override
    public String toString() {
        return kind + ": " + detail;
    }
}
