package dev.vmbus.ring;

/**
 * Layout of a packet on the ring ({@code struct vmpacket_descriptor}, packed, 16 bytes) and its trailer.
 *
 * <pre>
 *   0        2          4        6        8                                16
 *   +--------+----------+--------+--------+--------------------------------+
 *   | type   | offset8  | len8   | flags  | trans_id (u64)                 |
 *   +--------+----------+--------+--------+--------------------------------+
 *   | type-specific header, if offset8*8 > 16                              |
 *   | payload (len8*8 - offset8*8 bytes, last up-to-7 bytes zero padding)  |
 *   +----------------------------------------------------------------------+ len8*8
 *   | trailer u64 = (u64) write_index_before_this_packet << 32              |
 *   +----------------------------------------------------------------------+ len8*8 + 8
 * </pre>
 *
 * {@code offset8} and {@code len8} count 8-byte units; {@code len8} excludes the trailer. Readers never check
 * the trailer. Because the first 8 bytes of the descriptor are written and read as one little-endian u64, the
 * helpers below pack and unpack that word.
 */
public final class PacketLayout {
    public static final int TYPE_OFFSET = 0;
    public static final int DATA_OFFSET8_OFFSET = 2;
    public static final int LENGTH8_OFFSET = 4;
    public static final int FLAGS_OFFSET = 6;
    public static final int TRANS_ID_OFFSET = 8;
    /** Size of {@code struct vmpacket_descriptor}. */
    public static final int DESCRIPTOR_LENGTH = 16;
    /** {@code VMBUS_PKT_TRAILER}: the u64 after each packet. */
    public static final int TRAILER_LENGTH = 8;
    /** {@code offset8} that {@code vmbus_sendpacket} uses: the payload follows the bare descriptor. */
    public static final int DEFAULT_OFFSET8 = DESCRIPTOR_LENGTH / 8;
    /** Bit 0 of {@code flags}: {@code VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED}. */
    public static final int FLAG_COMPLETION_REQUESTED = 1;

    // ---- type 7, VM_PKT_DATA_USING_XFER_PAGES (struct vmtransfer_page_packet_header) ---------------------------
    /** u16 {@code xfer_pageset_id}. */
    public static final int XFER_PAGESET_ID_OFFSET = 16;
    /** u8 {@code sender_owns_set}; byte 19 is reserved. */
    public static final int XFER_SENDER_OWNS_OFFSET = 18;
    /** u32 {@code range_cnt}. */
    public static final int XFER_RANGE_COUNT_OFFSET = 20;
    /** The first range: u32 {@code byte_count}, u32 {@code byte_offset}, 8 bytes each. */
    public static final int XFER_RANGES_OFFSET = 24;
    public static final int XFER_RANGE_LENGTH = 8;

    // ---- type 9, VM_PKT_DATA_USING_GPA_DIRECT (struct vmdata_gpa_direct) --------------------------------------
    /** u32 reserved (0 when we send; may hold garbage when received). */
    public static final int GPA_RESERVED_OFFSET = 16;
    /** u32 {@code range_cnt}. */
    public static final int GPA_RANGE_COUNT_OFFSET = 20;
    /** The first range: u32 {@code byte_count}, u32 {@code byte_offset}, then u64 PFNs. */
    public static final int GPA_RANGES_OFFSET = 24;
    /** Both headers above end here: the smallest {@code offset8*8} a type 7 or type 9 packet can have. */
    public static final int RANGED_HEADER_LENGTH = 24;
    /** PFNs count 4 KiB Hyper-V pages whatever the guest's page size. */
    public static final int HV_PAGE_SIZE = 4096;
    /** A GPA range's {@code byte_offset} lies inside its first page. */
    public static final int HV_PAGE_OFFSET_MAX = HV_PAGE_SIZE - 1;
    /** {@code MAX_PAGE_BUFFER_COUNT}: the ranges {@code vmbus_sendpacket_pagebuffer} accepts. */
    public static final int MAX_PAGE_BUFFER_COUNT = 32;

    private PacketLayout() {
    }

    /** Ring bytes one packet with a {@code payloadLength}-byte payload after the bare descriptor consumes. */
    public static int ringBytes(int payloadLength) {
        return RingLayout.align8(DESCRIPTOR_LENGTH + payloadLength) + TRAILER_LENGTH;
    }

    /** The first descriptor word as stored little-endian: type | offset8 << 16 | len8 << 32 | flags << 48. */
    public static long word0(int type, int offset8, int len8, int flags) {
        return (type & 0xFFFFL) | (offset8 & 0xFFFFL) << 16 | (len8 & 0xFFFFL) << 32 | (flags & 0xFFFFL) << 48;
    }

    public static int type(long word0) {
        return (int) (word0 & 0xFFFF);
    }

    public static int offset8(long word0) {
        return (int) (word0 >>> 16 & 0xFFFF);
    }

    public static int len8(long word0) {
        return (int) (word0 >>> 32 & 0xFFFF);
    }

    public static int flags(long word0) {
        return (int) (word0 >>> 48 & 0xFFFF);
    }

    /** The packet types real devices use (OpenVMM accepts only these): in-band, transfer pages, GPA-direct, completion. */
    public static boolean supportedType(int type) {
        return type == PacketType.DATA_INBAND || type == PacketType.DATA_USING_XFER_PAGES
                || type == PacketType.DATA_USING_GPA_DIRECT || type == PacketType.COMP;
    }

    /** {@code ceil((byteOffset + byteCount) / 4096)} for unsigned u32 inputs: the PFNs one GPA range carries. */
    public static long pfnCount(int byteOffset, int byteCount) {
        long end = Integer.toUnsignedLong(byteOffset) + Integer.toUnsignedLong(byteCount);
        return (end + HV_PAGE_SIZE - 1) / HV_PAGE_SIZE;
    }

    /** The trailer value: the producer's write index before this packet, in the upper half. */
    public static long trailer(int oldWriteIndex) {
        return (oldWriteIndex & 0xFFFF_FFFFL) << 32;
    }
}
