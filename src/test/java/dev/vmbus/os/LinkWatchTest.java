package dev.vmbus.os;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LinkWatch#parse} on datagrams built as the kernel lays them out (include/uapi/linux/netlink.h,
 * rtnetlink.h, if_link.h): a 16-byte {@code nlmsghdr}, a 16-byte {@code ifinfomsg}, then {@code rtattr}s (2-byte
 * length, 2-byte type, the value, padded to 4), messages one after another, each padded to 4.
 */
class LinkWatchTest {
    private static final int TAP = 7;
    private static final int UP_BROADCAST_MULTICAST = 0x1 | 0x2 | 0x1000 | 0x40;

    @Test
    void aBridgesPromiscuityShowsInTheCountNotTheFlags() {
        // enslaved to a bridge: dev_get_flags reports no IFF_PROMISC (not a user's), IFLA_PROMISCUITY is 1
        byte[] d = datagram(link(16, TAP, UP_BROADCAST_MULTICAST, name("vmbus0"), u32(30, 1), u32(61, 0)));
        LinkWatch.Link l = parse(d, TAP);
        assertEquals(new LinkWatch.Link(TAP, UP_BROADCAST_MULTICAST, 1, 0), l);
        assertTrue(l.promiscuous());
        assertFalse(l.allMulticast());
        assertTrue(l.broadcast());
    }

    @Test
    void aBridgePortsOwnMessageIsSkipped() {
        // putting a TAP in a bridge: its RTM_NEWLINK with the count, then the bridge's AF_BRIDGE one about the port
        // (br_ifinfo_notify), without IFLA_PROMISCUITY, which must not undo it
        byte[] d = datagram(link(16, TAP, UP_BROADCAST_MULTICAST, u32(30, 1)),
                link(16, 7, TAP, UP_BROADCAST_MULTICAST, name("vmbus0"), u32(10, 3)));
        assertTrue(parse(d, TAP).promiscuous());
        assertNull(parse(datagram(link(16, 7, TAP, 0, u32(30, 0))), TAP));
    }

    @Test
    void theLastMessageAboutTheInterfaceWinsAndOthersAreSkipped() {
        byte[] d = datagram(
                link(16, TAP, UP_BROADCAST_MULTICAST | 0x100, u32(30, 2)),
                link(16, TAP + 1, UP_BROADCAST_MULTICAST, u32(30, 5)),
                message(3, new byte[4]), // NLMSG_DONE
                link(17, TAP, 0, u32(30, 9)), // RTM_DELLINK: not a state
                link(16, TAP, UP_BROADCAST_MULTICAST, name("vmbus0"), u32(30, 0), u32(61, 3)));
        LinkWatch.Link l = parse(d, TAP);
        assertFalse(l.promiscuous());
        assertTrue(l.allMulticast());
        assertNull(parse(datagram(link(16, TAP + 1, 0, u32(30, 1))), TAP));
    }

    @Test
    void withoutTheCountsTheFlagsSay() {
        // a kernel before IFLA_ALLMULTI (6.7): all-multicast from ifi_flags; no IFLA_PROMISCUITY either here
        LinkWatch.Link l = parse(datagram(link(16, TAP, 0x100 | 0x200, name("vmbus0"))), TAP);
        assertEquals(-1, l.promiscuity());
        assertEquals(-1, l.allmulti());
        assertTrue(l.promiscuous());
        assertTrue(l.allMulticast());
        assertFalse(l.broadcast());
        // a nested attribute's flag bit is masked off the type (NLA_F_NESTED | 30 is not IFLA_PROMISCUITY's 30 as-is)
        LinkWatch.Link nested = parse(datagram(link(16, TAP, 0, attr(0x8000 | 30, le(4)))), TAP);
        assertEquals(4, nested.promiscuity());
    }

    @Test
    void upIsTheAdministratorsFlagNotTheCarrier() {
        // `ip link set down`: IFF_UP off; a TAP up without a carrier (NO-CARRIER) keeps IFF_UP, lacks IFF_RUNNING
        // (0x40) and IFF_LOWER_UP (0x10000)
        assertFalse(parse(datagram(link(16, TAP, 0x2 | 0x1000, u32(30, 0))), TAP).up());
        assertTrue(parse(datagram(link(16, TAP, 0x1 | 0x2 | 0x1000, u32(30, 0))), TAP).up());
        assertTrue(parse(datagram(link(16, TAP, UP_BROADCAST_MULTICAST | 0x10000, u32(30, 0))), TAP).up());
    }

    @Test
    void aTruncatedMessageOrAttributeEndsTheParse() {
        byte[] whole = datagram(link(16, TAP, 0, u32(30, 1)));
        assertNull(parse(java.util.Arrays.copyOf(whole, whole.length - 4), TAP), "message past the datagram");
        // an attribute whose length runs past its message is not read
        byte[] bad = datagram(link(16, TAP, 0, attr(30, le(1)), new byte[] {(byte) 200, 0, 30, 0}));
        assertEquals(1, parse(bad, TAP).promiscuity());
        byte[] shortAttr = datagram(link(16, TAP, 0, attr(30, new byte[2])));
        assertEquals(-1, parse(shortAttr, TAP).promiscuity(), "a 6-byte IFLA_PROMISCUITY holds no u32");
    }

    private static LinkWatch.Link parse(byte[] d, int index) {
        return LinkWatch.parse(MemorySegment.ofArray(d), d.length, index);
    }

    private static byte[] datagram(byte[]... messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] m : messages) {
            out.writeBytes(m);
        }
        return out.toByteArray();
    }

    /** An {@code RTM_*LINK} message: nlmsghdr, ifinfomsg (family 0, type ARPHRD_ETHER, index, flags), attributes. */
    private static byte[] link(int type, int index, int flags, byte[]... attrs) {
        return link(type, 0, index, flags, attrs);
    }

    /** {@link #link} of address family {@code family} (AF_UNSPEC 0 from rtnl_fill_ifinfo, AF_BRIDGE 7). */
    private static byte[] link(int type, int family, int index, int flags, byte[]... attrs) {
        ByteBuffer ifi = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        ifi.put((byte) family).put((byte) 0).putShort((short) 1).putInt(index).putInt(flags).putInt(0);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(ifi.array());
        for (byte[] a : attrs) {
            body.writeBytes(a);
        }
        return message(type, body.toByteArray());
    }

    private static byte[] message(int type, byte[] body) {
        int len = 16 + body.length;
        ByteBuffer m = ByteBuffer.allocate((len + 3) & ~3).order(ByteOrder.nativeOrder());
        m.putInt(len).putShort((short) type).putShort((short) 0).putInt(1).putInt(0).put(body);
        return m.array();
    }

    private static byte[] attr(int type, byte[] value) {
        int len = 4 + value.length;
        ByteBuffer a = ByteBuffer.allocate((len + 3) & ~3).order(ByteOrder.nativeOrder());
        a.putShort((short) len).putShort((short) type).put(value);
        return a.array();
    }

    private static byte[] u32(int type, int value) {
        return attr(type, le(value));
    }

    private static byte[] le(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
    }

    /** IFLA_IFNAME: a NUL-terminated string (7 bytes for vmbus0, padded to 8 after the header). */
    private static byte[] name(String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        return attr(3, java.util.Arrays.copyOf(n, n.length + 1));
    }
}
