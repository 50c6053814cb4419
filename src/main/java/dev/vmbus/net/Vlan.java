package dev.vmbus.net;

/**
 * An 802.1Q tag in a frame, and the same tag as RNDIS carries it out of band: the per-packet info of type
 * {@link PerPacketInfo#TYPE_VLAN}, whose u32 is {@code NDIS_NET_BUFFER_LIST_8021Q_INFO} (Linux's
 * {@code struct ndis_pkt_8021q_info}, OpenVMM's {@code EthVlanInfo}): priority in bits 0-2, drop-eligible (CFI) in
 * bit 3, VLAN id in bits 4-15. A netvsc host takes a tag out of band and gives one so; a tagged frame in between
 * has none inline (OpenVMM's netvsp: "when VLAN is present it arrives out-of-band in the PPI (not inline in the
 * frame)"). Linux's netvsc moves it between the PPI and the skb's tag ({@code netvsc_xmit},
 * {@code rndis_filter_receive_data}); a TAP has no such place, so the tag goes into the frame, where a VLAN
 * interface on the TAP ({@code ip link add link vmbus0 type vlan}) writes and reads it.
 */
public final class Vlan {
    /** The tag's bytes: the 802.1Q type (TPID) and the tag control information (TCI). */
    public static final int TAG = 4;
    /** Where a tag starts: after the destination and source addresses. */
    public static final int AT = 12;
    static final int TPID = 0x8100;

    private Vlan() {
    }

    /** Whether {@code f[0, length)} carries an 802.1Q tag after its addresses (and the type that follows it). */
    public static boolean tagged(byte[] f, int offset, int length) {
        return length >= AT + TAG + 2 && (f[offset + AT] & 0xff) == TPID >>> 8 && f[offset + AT + 1] == 0;
    }

    /**
     * Whether {@code f[offset, offset + length)} is longer than a port whose largest frame is {@code largest} (an
     * MTU's, its tag included) carries: an untagged frame may take {@link #TAG} bytes less.
     */
    public static boolean tooLong(byte[] f, int offset, int length, int largest) {
        return length > largest - TAG && (length > largest || !tagged(f, offset, length));
    }

    /** The TCI of a frame {@link #tagged} says has one. */
    public static int tci(byte[] f, int offset) {
        return (f[offset + AT + 2] & 0xff) << 8 | f[offset + AT + 3] & 0xff;
    }

    /** Writes the tag for {@code tci} at {@code f[at, at + 4)}. */
    public static void writeTag(byte[] f, int at, int tci) {
        f[at] = (byte) (TPID >>> 8);
        f[at + 1] = (byte) TPID;
        f[at + 2] = (byte) (tci >>> 8);
        f[at + 3] = (byte) tci;
    }

    /**
     * Tags the frame at {@code f[offset, offset + length)} in place, using the 4 bytes before it (which the caller
     * no longer needs): its addresses move 4 bytes down and the tag for {@code tci} follows them. Returns where the
     * tagged frame, 4 bytes longer, starts; a frame too short to have addresses stays as it is.
     */
    public static int tagInPlace(byte[] f, int offset, int length, int tci) {
        if (length < AT) {
            return offset;
        }
        if (offset < TAG) {
            throw new IllegalArgumentException("no room for a tag before offset " + offset);
        }
        System.arraycopy(f, offset, f, offset - TAG, AT);
        writeTag(f, offset - TAG + AT, tci);
        return offset - TAG;
    }

    /** The PPI's u32 for a TCI: priority (TCI bits 13-15), drop-eligible (bit 12), VLAN id (bits 0-11). */
    public static int ndisInfo(int tci) {
        return (tci >>> 13 & 7) | (tci >>> 12 & 1) << 3 | (tci & 0xfff) << 4;
    }

    /** The TCI for the PPI's u32, as Linux's {@code rndis_filter_receive_data} builds it (bits 16-31 ignored). */
    public static int tciOf(int ndisInfo) {
        return (ndisInfo & 7) << 13 | (ndisInfo >>> 3 & 1) << 12 | ndisInfo >>> 4 & 0xfff;
    }
}
