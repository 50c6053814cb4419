package dev.vmbus.net;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One per-packet info of an RNDIS PACKET_MSG: a type and its data, a whole number of 4-byte words (spec §3.5;
 * DPDK {@code rndis.h:173-207}). On the wire: {@code u32 size} (header included), {@code u32 type},
 * {@code u32 offset} of the data from the PPI's start (12), then the data.
 */
public record PerPacketInfo(int type, byte[] data) {
    public static final int TYPE_CHECKSUM = 0;
    public static final int TYPE_IPSEC = 1;
    public static final int TYPE_LSO = 2;
    public static final int TYPE_CLASSIFICATION = 3;
    public static final int TYPE_SG_LIST = 5;
    public static final int TYPE_VLAN = 6;
    public static final int TYPE_ORIGINAL = 7;
    public static final int TYPE_HASH_VALUE = 8;
    public static final int TYPE_HASH_INFO = 9;
    public static final int TYPE_PADDING = 11;
    /** Internal (RSC) PPIs set the type's high bit. */
    public static final int INTERNAL = 0x80000000;

    /** TX checksum request bits. */
    public static final int TX_CSUM_IPV4 = 0x1;
    public static final int TX_CSUM_IPV6 = 0x2;
    public static final int TX_CSUM_TCP = 0x4;
    public static final int TX_CSUM_UDP = 0x8;
    public static final int TX_CSUM_IP = 0x10;
    /** RX checksum result bits. */
    public static final int RX_CSUM_TCP_FAILED = 0x1;
    public static final int RX_CSUM_UDP_FAILED = 0x2;
    public static final int RX_CSUM_IP_FAILED = 0x4;
    public static final int RX_CSUM_TCP_OK = 0x8;
    public static final int RX_CSUM_UDP_OK = 0x10;
    public static final int RX_CSUM_IP_OK = 0x20;

    public PerPacketInfo {
        data = data.clone();
        if (data.length % 4 != 0) {
            throw new IllegalArgumentException("per-packet info data is whole 4-byte words, not " + data.length
                    + " bytes");
        }
    }

    /** A PPI whose data is one u32 (checksum, VLAN, hash value, hash info, LSO). */
    public static PerPacketInfo u32(int type, int value) {
        byte[] d = new byte[4];
        Wire.le(d).putInt(0, value);
        return new PerPacketInfo(type, d);
    }

    /** The first u32 of the data; the PPI must have one. */
    public int u32() {
        if (data.length < 4) {
            throw new IllegalStateException("PPI type " + type + " has no u32 of data");
        }
        return Wire.le(data).getInt(0);
    }

    /** The bytes this PPI takes in a PACKET_MSG. */
    public int wireSize() {
        return Rndis.PPI_HEADER_SIZE + data.length;
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PerPacketInfo p && p.type == type && Arrays.equals(p.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * type + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "PerPacketInfo[type=" + Wire.hex(type) + ", data=" + HexFormat.of().formatHex(data) + "]";
    }
}
