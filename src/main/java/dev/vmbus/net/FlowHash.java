package dev.vmbus.net;

/**
 * Which queue a frame's flow belongs to: a hash of its IPv4 or IPv6 addresses and, for TCP and UDP, its ports, so
 * that every frame of one connection goes through one queue (what RSS does on the host's side and the send
 * indirection table on the guest's), looking past one 802.1Q tag; other frames hash their Ethernet addresses. Every
 * read is bounds-checked against the frame: a short or odd frame hashes what it has.
 *
 * <p>Stateless.
 */
public final class FlowHash {
    private static final int ETH_HEADER = 14;
    private static final int IPV4 = 0x0800;
    private static final int IPV6 = 0x86DD;
    private static final int VLAN = 0x8100;
    private static final int TCP = 6;
    private static final int UDP = 17;

    private FlowHash() {
    }

    /** The flow hash of frame {@code f} (any length). */
    public static int of(byte[] f) {
        return of(f, f.length);
    }

    /** The flow hash of the frame {@code f[0, length)} (any length). */
    public static int of(byte[] f, int length) {
        java.util.Objects.checkFromIndexSize(0, length, f.length);
        if (length < ETH_HEADER) {
            return mix(0, f, 0, length, length);
        }
        int type = u16(f, 12);
        int l3 = ETH_HEADER;
        if (type == VLAN && length >= ETH_HEADER + Vlan.TAG) {
            type = u16(f, 12 + Vlan.TAG); // one 802.1Q tag: the flow is what it carries
            l3 += Vlan.TAG;
        }
        if (type == IPV4 && length >= l3 + 20) {
            int ihl = (f[l3] & 0x0F) * 4;
            int h = mix(0, f, l3 + 12, 8, length);
            int proto = f[l3 + 9] & 0xFF;
            int l4 = l3 + ihl;
            if ((proto == TCP || proto == UDP) && ihl >= 20 && length >= l4 + 4) {
                h = mix(h, f, l4, 4, length);
            }
            return finish(h);
        }
        if (type == IPV6 && length >= l3 + 40) {
            int h = mix(0, f, l3 + 8, 32, length);
            int next = f[l3 + 6] & 0xFF;
            int l4 = l3 + 40;
            if ((next == TCP || next == UDP) && length >= l4 + 4) {
                h = mix(h, f, l4, 4, length);
            }
            return finish(h);
        }
        return finish(mix(0, f, 0, 12, length));
    }

    private static int u16(byte[] f, int at) {
        return (f[at] & 0xFF) << 8 | (f[at + 1] & 0xFF);
    }

    /** FNV-1a over {@code length} bytes at {@code from}, none at or past {@code end}. */
    private static int mix(int h, byte[] f, int from, int length, int end) {
        int x = h == 0 ? 0x811C9DC5 : h;
        for (int i = from; i < from + length && i < end; i++) {
            x = (x ^ (f[i] & 0xFF)) * 0x01000193;
        }
        return x;
    }

    private static int finish(int h) {
        h ^= h >>> 16;
        h *= 0x45D9F3B;
        return h ^ (h >>> 16);
    }
}
