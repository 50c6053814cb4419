package dev.vmbus.ring;

import java.nio.ByteBuffer;

/**
 * Validation of what a packet's descriptor and type-specific header say, once the packet's framing (spec
 * section 4: {@code 16 <= offset8*8 <= len8*8}, within what was published) has been checked by
 * {@link RingReader#peek()}. The decoders read a <em>private copy</em> of the header, never the ring: the peer
 * may rewrite shared memory at any time, so every count is read once from memory only we can change, validated,
 * and used from there. They read only bytes {@code [16, dataOffset)} of the copy, so a header whose counts
 * claim more than that faults instead of reading past it.
 *
 * <p>Each malformation is its own {@link RingFault.Kind}, carrying the offending values. The rules are the
 * stricter union of what Linux, DPDK and OpenVMM check (spec netvsc-and-buffers section 1): types 6, 7, 9 and
 * 0xB only; flag bits other than completion-requested refused; {@code range_cnt >= 1}; every range non-empty;
 * a GPA range's {@code byte_offset <= 0xFFF}; every range and PFN inside {@code offset8*8}. Bytes between the
 * last range and {@code offset8*8} are allowed (Linux's own check for transfer pages is {@code <=}).
 * Stateless; success allocates nothing.
 */
public final class PacketCodec {

    private PacketCodec() {
    }

    /** The descriptor's type and flags, or the fault they earn. */
    public static RingFault checkDescriptor(int type, int flags) {
        if (!PacketLayout.supportedType(type)) {
            return new RingFault(RingFault.Kind.UNKNOWN_TYPE, "type=0x" + Integer.toHexString(type)
                    + " (" + PacketType.name(type) + "); only 6, 7, 9 and 0xB are used by devices");
        }
        if ((flags & ~PacketLayout.FLAG_COMPLETION_REQUESTED) != 0) {
            return new RingFault(RingFault.Kind.INVALID_FLAGS, "flags=0x" + Integer.toHexString(flags)
                    + " on a " + PacketType.name(type) + " packet; only bit 0 (completion requested) is defined");
        }
        return null;
    }

    /**
     * Decodes a transfer-page header from {@code header}, a private copy of the packet's first
     * {@code dataOffset} bytes (descriptor included, so offsets are the spec's) in a little-endian buffer whose
     * index 0 is the packet's first byte (what {@link RingReader} keeps its private header copy in: a buffer's
     * accessors cost far less than a segment's under the agent's C1-only JIT).
     *
     * @return null on success ({@code out} then holds the ranges), else the fault ({@code out} is then garbage)
     */
    static RingFault decodeTransferPages(ByteBuffer header, int dataOffset, TransferPageRanges out) {
        if (dataOffset < PacketLayout.RANGED_HEADER_LENGTH) {
            return shortHeader("transfer-page", dataOffset);
        }
        long word = header.getLong(PacketLayout.XFER_PAGESET_ID_OFFSET);
        int pageSetId = (int) (word & 0xFFFF);
        boolean senderOwns = (word >>> 16 & 0xFF) != 0;
        long count = word >>> 32;
        if (count == 0) {
            return new RingFault(RingFault.Kind.RANGE_COUNT_ZERO, "transfer-page packet with range_cnt=0 (set "
                    + pageSetId + ")");
        }
        long needed = PacketLayout.XFER_RANGES_OFFSET + count * PacketLayout.XFER_RANGE_LENGTH;
        if (needed > dataOffset) {
            return new RingFault(RingFault.Kind.RANGE_COUNT_OVERRUNS_HEADER, "transfer-page range_cnt=" + count
                    + " needs " + needed + " header bytes, offset8*8=" + dataOffset);
        }
        out.startDecode(pageSetId, senderOwns);
        for (int i = 0; i < (int) count; i++) {
            long range = header.getLong(PacketLayout.XFER_RANGES_OFFSET + i * PacketLayout.XFER_RANGE_LENGTH);
            if ((int) range == 0) {
                return new RingFault(RingFault.Kind.RANGE_BYTE_COUNT_ZERO, "transfer-page range " + i + " of "
                        + count + " has byte_count=0 (byte_offset=" + Long.toUnsignedString(range >>> 32) + ")");
            }
            out.putWord(i, range);
        }
        return null;
    }

    /**
     * Decodes a GPA-direct header from {@code header}, a private copy of the packet's first {@code dataOffset}
     * bytes in a little-endian buffer (as {@link #decodeTransferPages}).
     *
     * @return null on success ({@code out} then holds the ranges), else the fault ({@code out} is then garbage)
     */
    static RingFault decodeGpaDirect(ByteBuffer header, int dataOffset, GpaRanges out) {
        if (dataOffset < PacketLayout.RANGED_HEADER_LENGTH) {
            return shortHeader("GPA-direct", dataOffset);
        }
        long count = Integer.toUnsignedLong(header.getInt(PacketLayout.GPA_RANGE_COUNT_OFFSET));
        if (count == 0) {
            return new RingFault(RingFault.Kind.RANGE_COUNT_ZERO, "GPA-direct packet with range_cnt=0");
        }
        out.clear();
        long pos = PacketLayout.GPA_RANGES_OFFSET;
        // Every range takes at least 16 bytes (its header word and one PFN), so this loop ends within
        // dataOffset / 16 iterations whatever count claims.
        for (long i = 0; i < count; i++) {
            if (pos + 8 > dataOffset) {
                return new RingFault(RingFault.Kind.RANGE_COUNT_OVERRUNS_HEADER, "GPA-direct range_cnt=" + count
                        + ": range " + i + " would start at byte " + pos + ", offset8*8=" + dataOffset);
            }
            long range = header.getLong((int) pos); // pos + 8 <= dataOffset, checked above
            int byteCount = (int) range;
            int byteOffset = (int) (range >>> 32);
            if (byteCount == 0) {
                return new RingFault(RingFault.Kind.RANGE_BYTE_COUNT_ZERO, "GPA-direct range " + i + " of " + count
                        + " has byte_count=0 (byte_offset=" + Integer.toUnsignedString(byteOffset) + ")");
            }
            if (Integer.compareUnsigned(byteOffset, PacketLayout.HV_PAGE_OFFSET_MAX) > 0) {
                return new RingFault(RingFault.Kind.RANGE_OFFSET_PAST_PAGE, "GPA-direct range " + i + " of " + count
                        + " has byte_offset=" + Integer.toUnsignedString(byteOffset) + " (> 0xFFF), byte_count="
                        + Integer.toUnsignedString(byteCount));
            }
            long pfns = PacketLayout.pfnCount(byteOffset, byteCount);
            long end = pos + 8 + pfns * 8;
            if (end > dataOffset) {
                return new RingFault(RingFault.Kind.PFN_LIST_OVERRUNS_HEADER, "GPA-direct range " + i + " of "
                        + count + " (" + Integer.toUnsignedString(byteCount) + " bytes at +" + byteOffset + ") needs "
                        + pfns + " PFNs up to byte " + end + ", offset8*8=" + dataOffset);
            }
            int first = out.decodeRange(range, (int) pfns);
            for (int j = 0; j < (int) pfns; j++) {
                out.putWord(first + j, header.getLong((int) (pos + 8 + 8L * j))); // end <= dataOffset
            }
            pos = end;
        }
        return null;
    }

    private static RingFault shortHeader(String what, int dataOffset) {
        return new RingFault(RingFault.Kind.HEADER_TOO_SHORT, what + " packet with offset8*8=" + dataOffset
                + ", below the " + PacketLayout.RANGED_HEADER_LENGTH + " bytes its header needs");
    }
}
