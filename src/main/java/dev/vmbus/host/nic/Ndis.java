package dev.vmbus.host.nic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The NDIS objects the simulated host's NIC answers and reads inside RNDIS QUERY and SET messages (spec
 * netvsc-and-buffers.md §5.1 H5; layouts as DPDK's {@code ndis.h} and Linux's {@code rndis_filter.c} read them):
 * receive-scale capabilities and parameters, and the offload hardware capabilities. Each object starts with an
 * {@code ndis_object_hdr}: u8 type, u8 revision, u16 size (header included).
 *
 * <p>Stateless.
 */
final class Ndis {
    static final int OBJTYPE_RSS_CAPS = 0x88;
    static final int OBJTYPE_RSS_PARAMS = 0x89;
    static final int OBJTYPE_OFFLOAD = 0xA7;

    static final int HASH_FUNCTION_TOEPLITZ = 0x1;
    static final int RSS_CAP_IPV4 = 0x100;
    static final int RSS_CAP_IPV6 = 0x200;
    static final int RSS_CAP_IPV6_EX = 0x400;
    /** RSS capabilities, revision 2 (NDIS 6.30): header, caps, MSIs, receive queues, indirection entries, pad. */
    static final int RSS_CAPS_SIZE = 20;
    /** Indirection-table entries a guest sets; "DPDK gets confused if the table size is zero" (OpenVMM). */
    static final int RSS_TABLE_ENTRIES = 128;
    static final int RSS_KEY_SIZE = 40;
    /** RSS parameters up to the CPU-mask fields (NDIS 6.0), the least a guest sends. */
    static final int RSS_PARAMS_SIZE_6_0 = 28;
    static final int RSS_FLAG_DISABLE = 0x0010;
    static final int RSS_FLAG_IND_UNCHANGED = 0x0004;

    /** The offload capabilities object, revision 3 (NDIS 6.30): 156 bytes, every capability zero. */
    static final int OFFLOAD_REVISION = 3;
    static final int OFFLOAD_SIZE = 156;

    private Ndis() {
    }

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void header(ByteBuffer b, int type, int revision, int size) {
        b.put(0, (byte) type).put(1, (byte) revision).putShort(2, (short) size);
    }

    /** OID_GEN_RECEIVE_SCALE_CAPABILITIES: Toeplitz over IPv4 and IPv6, {@code queues} receive queues. */
    static byte[] rssCapabilities(int queues) {
        byte[] out = new byte[RSS_CAPS_SIZE];
        ByteBuffer b = le(out);
        header(b, OBJTYPE_RSS_CAPS, 2, RSS_CAPS_SIZE);
        b.putInt(4, HASH_FUNCTION_TOEPLITZ | RSS_CAP_IPV4 | RSS_CAP_IPV6 | RSS_CAP_IPV6_EX);
        b.putInt(8, queues);
        b.putInt(12, queues);
        b.putShort(16, (short) RSS_TABLE_ENTRIES);
        return out;
    }

    /** OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES: no offload at all (the guest computes its own checksums). */
    static byte[] offloadCapabilities() {
        byte[] out = new byte[OFFLOAD_SIZE];
        header(le(out), OBJTYPE_OFFLOAD, OFFLOAD_REVISION, OFFLOAD_SIZE);
        return out;
    }

    /**
     * The indirection table of OID_GEN_RECEIVE_SCALE_PARAMETERS, each entry a queue index below {@code queues};
     * null when the guest disables RSS or leaves the table unchanged. The checks are OpenVMM's: key size 40, a
     * table whose size is a multiple of 4, entries below the queue count, everything inside the buffer.
     *
     * @throws IllegalArgumentException naming the rule the parameters break
     */
    static int[] rssTable(byte[] info, int queues) {
        if (info.length < RSS_PARAMS_SIZE_6_0) {
            throw new IllegalArgumentException("RSS parameters of " + info.length + " bytes, at least "
                    + RSS_PARAMS_SIZE_6_0 + " needed");
        }
        ByteBuffer b = le(info);
        int type = Byte.toUnsignedInt(b.get(0));
        if (type != OBJTYPE_RSS_PARAMS) {
            throw new IllegalArgumentException("RSS parameters with object type 0x" + Integer.toHexString(type)
                    + ", expected 0x89");
        }
        int flags = Short.toUnsignedInt(b.getShort(4));
        if ((flags & RSS_FLAG_DISABLE) != 0) {
            return null;
        }
        int tableSize = Short.toUnsignedInt(b.getShort(12));
        long tableOffset = Integer.toUnsignedLong(b.getInt(16));
        int keySize = Short.toUnsignedInt(b.getShort(20));
        long keyOffset = Integer.toUnsignedLong(b.getInt(24));
        if (keySize != RSS_KEY_SIZE) {
            throw new IllegalArgumentException("RSS key of " + keySize + " bytes, expected " + RSS_KEY_SIZE);
        }
        if (keyOffset + keySize > info.length) {
            throw new IllegalArgumentException("RSS key at " + keyOffset + " runs past the " + info.length
                    + "-byte parameters");
        }
        if ((flags & RSS_FLAG_IND_UNCHANGED) != 0) {
            return null;
        }
        if (tableSize == 0 || tableSize % 4 != 0) {
            throw new IllegalArgumentException("RSS indirection table of " + tableSize
                    + " bytes (a non-zero multiple of 4 expected)");
        }
        if (tableOffset + tableSize > info.length) {
            throw new IllegalArgumentException("RSS indirection table at " + tableOffset + " (" + tableSize
                    + " bytes) runs past the " + info.length + "-byte parameters");
        }
        int[] table = new int[tableSize / 4];
        for (int i = 0; i < table.length; i++) {
            int q = b.getInt((int) tableOffset + 4 * i);
            if (q < 0 || q >= queues) {
                throw new IllegalArgumentException("RSS indirection entry " + i + " names queue "
                        + Integer.toUnsignedString(q) + "; the NIC has " + queues);
            }
            table[i] = q;
        }
        return table;
    }
}
