package dev.vmbus.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;

/**
 * One interface's receive mode as the kernel announces it: an rtnetlink socket ({@code NETLINK_ROUTE}) in group
 * {@code RTMGRP_LINK}, which the kernel sends an {@code RTM_NEWLINK} on every change of an interface's flags,
 * up or down and promiscuity among them, and one answer to the {@code RTM_GETLINK} this sends at open (and again after an overrun,
 * {@code ENOBUFS}), so the state is known from the start. Non-blocking: {@link #read} takes what waits and returns;
 * its owner watches {@link #fd} (an event loop through {@link SelectableFd}), so nothing runs while nothing changes.
 *
 * <p>What is read, from net/core/rtnetlink.c ({@code rtnl_fill_ifinfo}) and net/core/dev.c: {@code ifi_flags} is
 * {@code dev_get_flags}, whose {@code IFF_PROMISC} and {@code IFF_ALLMULTI} are only what a user set
 * ({@code gflags}: {@code ip link set promisc on}), not a bridge's {@code dev_set_promiscuity}; the count of every
 * holder is {@code IFLA_PROMISCUITY} ({@code dev->promiscuity}), and {@code IFLA_ALLMULTI} ({@code dev->allmulti},
 * Linux 6.7+). {@code dev_set_promiscuity} notifies ({@code __dev_notify_flags} with {@code IFF_PROMISC}) on every
 * change of the count.
 *
 * <p>Threads: one reader at a time (its owner's loop); {@link #close} from any thread.
 */
public final class LinkWatch implements AutoCloseable {
    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int NETLINK_ROUTE = 0;
    /**
     * The family of {@code rtnl_fill_ifinfo}'s messages; a bridge port's own ({@code br_ifinfo_notify}, family
     * {@code AF_BRIDGE}) carry no promiscuity and are skipped.
     */
    static final byte AF_UNSPEC = 0;
    static final int RTMGRP_LINK = 1;
    static final int NLMSG_HEADER = 16;
    static final int IFINFOMSG = 16;
    static final short NLMSG_ERROR = 2;
    static final short NLMSG_DONE = 3;
    static final short RTM_NEWLINK = 16;
    static final short RTM_GETLINK = 18;
    static final short NLM_F_REQUEST = 1;
    static final int IFLA_PROMISCUITY = 30;
    static final int IFLA_ALLMULTI = 61;
    /** The attribute type without {@code NLA_F_NESTED} and {@code NLA_F_NET_BYTEORDER}. */
    static final int NLA_TYPE_MASK = 0x3fff;
    public static final int IFF_UP = 0x1;
    public static final int IFF_BROADCAST = 0x2;
    public static final int IFF_PROMISC = 0x100;
    public static final int IFF_ALLMULTI = 0x200;
    static final int ENOBUFS = 105;
    /** The receive buffer: a link message with its statistics is a few KiB; a datagram is never split. */
    static final int BUFFER = 65536;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final MethodHandle SOCKET = Libc.errnoCall("socket",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = Libc.errnoCall("bind",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    /**
     * One interface's state in an {@code RTM_NEWLINK}: its {@code ifi_flags}, and its promiscuity and all-multicast
     * counts, -1 where the kernel sent no such attribute.
     */
    public record Link(int index, int flags, int promiscuity, int allmulti) {
        /** Promiscuous for any holder (a bridge, a user, a capture): the count, or the flag without one. */
        public boolean promiscuous() {
            return promiscuity >= 0 ? promiscuity > 0 : (flags & IFF_PROMISC) != 0;
        }

        /** All-multicast: the count where the kernel sends it, else the flag. */
        public boolean allMulticast() {
            return allmulti >= 0 ? allmulti > 0 : (flags & IFF_ALLMULTI) != 0;
        }

        public boolean broadcast() {
            return (flags & IFF_BROADCAST) != 0;
        }

        /** Administratively up ({@code ip link set up}): {@code IFF_UP}, whatever the carrier. */
        public boolean up() {
            return (flags & IFF_UP) != 0;
        }
    }

    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(BUFFER, 8);
    private final MemorySegment capture = Libc.errnoBuffer(arena);
    private final int index;
    private final int fd;
    private int sequence;
    private boolean closed;

    private LinkWatch(int index, int fd) {
        this.index = index;
        this.fd = fd;
    }

    /** Watches interface {@code index} of the calling thread's network namespace; its state waits to be read. */
    public static LinkWatch open(int index) throws IOException {
        int fd = Libc.checked("socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)", c -> (int) SOCKET.invokeExact(c,
                AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
        LinkWatch watch = new LinkWatch(index, fd);
        try {
            MemorySegment address = watch.arena.allocate(12, 4); // sockaddr_nl: family, pad, pid 0 (the kernel's pick)
            address.set(I16, 0, (short) AF_NETLINK);
            address.set(I32, 8, RTMGRP_LINK);
            Libc.checked("bind(netlink, RTMGRP_LINK)", c -> (int) BIND.invokeExact(c, fd, address, 12));
            watch.request();
            return watch;
        } catch (IOException | RuntimeException e) {
            watch.close();
            throw e;
        }
    }

    /** The socket, readable when a message waits. */
    public int fd() {
        return fd;
    }

    /** Asks the kernel for the interface's state now ({@code RTM_GETLINK}); the answer comes as a message read. */
    private void request() throws IOException {
        MemorySegment m = buffer.asSlice(0, NLMSG_HEADER + IFINFOMSG);
        m.fill((byte) 0);
        m.set(I32, 0, NLMSG_HEADER + IFINFOMSG);
        m.set(I16, 4, RTM_GETLINK);
        m.set(I16, 6, NLM_F_REQUEST);
        m.set(I32, 8, ++sequence);
        m.set(I32, NLMSG_HEADER + 4, index);
        long n = Posix.write(fd, m, m.byteSize(), capture);
        if (n < 0) {
            throw Libc.failure("send(RTM_GETLINK, ifindex " + index + ")", (int) -n);
        }
    }

    /**
     * Reads every message waiting, without blocking: the last state of the watched interface among them, or null if
     * none was about it. After an overrun (the kernel dropped messages) the state is asked for again.
     */
    public synchronized Link read() throws IOException {
        Link last = null;
        while (!closed) {
            long n = Posix.read(fd, buffer, BUFFER, capture);
            if (n == -Posix.EAGAIN) {
                break;
            }
            if (n == -ENOBUFS) {
                request();
                continue;
            }
            if (n < 0) {
                throw Libc.failure("recv(netlink, ifindex " + index + ")", (int) -n);
            }
            Link got = parse(buffer, n, index);
            if (got != null) {
                last = got;
            }
        }
        return last;
    }

    /**
     * The last {@code RTM_NEWLINK} of family {@code AF_UNSPEC} about interface {@code index} in the datagram
     * {@code data[0, length)} (one or more netlink messages), or null. Stops at a truncated message; other messages
     * are skipped.
     */
    static Link parse(MemorySegment data, long length, int index) {
        Link last = null;
        long at = 0;
        while (at + NLMSG_HEADER <= length) {
            int len = data.get(I32, at);
            if (len < NLMSG_HEADER || at + len > length) {
                break;
            }
            short type = data.get(I16, at + 4);
            if (type == RTM_NEWLINK && len >= NLMSG_HEADER + IFINFOMSG
                    && data.get(ValueLayout.JAVA_BYTE, at + NLMSG_HEADER) == AF_UNSPEC
                    && data.get(I32, at + NLMSG_HEADER + 4) == index) {
                last = link(data, at + NLMSG_HEADER, at + len, index);
            }
            at += align(len);
        }
        return last;
    }

    /** An {@code ifinfomsg} at {@code from} and its attributes up to {@code end}. */
    private static Link link(MemorySegment data, long from, long end, int index) {
        int flags = data.get(I32, from + 8);
        int promiscuity = -1;
        int allmulti = -1;
        long a = from + IFINFOMSG;
        while (a + 4 <= end) {
            int len = Short.toUnsignedInt(data.get(I16, a));
            int type = data.get(I16, a + 2) & NLA_TYPE_MASK;
            if (len < 4 || a + len > end) {
                break;
            }
            if (len >= 8 && type == IFLA_PROMISCUITY) {
                promiscuity = data.get(I32, a + 4);
            } else if (len >= 8 && type == IFLA_ALLMULTI) {
                allmulti = data.get(I32, a + 4);
            }
            a += align(len);
        }
        return new Link(index, flags, promiscuity, allmulti);
    }

    private static long align(int length) {
        return (length + 3L) & ~3L;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Posix.close(fd);
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "link watch of ifindex " + index;
    }
}
