package dev.vmbus.os;

import dev.vmbus.config.InterfaceNames;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * A Linux TAP interface opened through FFM: {@code /dev/net/tun} with {@code TUNSETIFF} and
 * {@code IFF_TAP | IFF_NO_PI} (one {@code read} is one Ethernet frame, no header in front), non-blocking; its
 * MAC address, MTU and up/down state set with {@code SIOCSIF*} ioctls on a datagram socket made in the same
 * network namespace as the TAP (spec netvsc-and-buffers.md §5.2), its carrier with {@code TUNSETCARRIER} on its own
 * descriptor. No {@code IFF_VNET_HDR}: no offloads are advertised, so peers compute their own checksums.
 *
 * <p>Creating a TAP needs CAP_NET_ADMIN; attaching to a persistent one made for the user
 * ({@code ip tuntap add dev NAME mode tap user UID}) does not. {@link #openIn} opens it inside another network
 * namespace from a short-lived platform thread that joins it with {@code setns} ({@link NetNamespace}); the
 * process stays where it is.
 *
 * <p>One reader and one writer may use a TAP at once from different threads; {@link #close} is idempotent.
 */
public final class Tap implements AutoCloseable {
    static final long TUNSETIFF = 0x400454caL;
    /** {@code _IOW('T', 226, int)}: the carrier of the TAP this descriptor is attached to (Linux 4.20+). */
    static final long TUNSETCARRIER = 0x400454e2L;
    /** What a kernel without an ioctl answers it. */
    static final int ENOTTY = 25;
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCGIFMTU = 0x8921;
    static final long SIOCSIFMTU = 0x8922;
    static final long SIOCSIFHWADDR = 0x8924;
    static final long SIOCGIFHWADDR = 0x8927;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_UP = 0x1;
    static final int ARPHRD_ETHER = 1;
    static final int AF_INET6 = 10;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final short POLLIN = 0x1;
    /** A detached descriptor polls as an error ({@code tun_chr_poll}): never readable again, reads fail. */
    static final short POLL_ERROR = 0x8 | 0x10 | 0x20; // POLLERR | POLLHUP | POLLNVAL
    static final long SIOCGIFINDEX = 0x8933;
    /** What {@code read} and {@code write} of a TAP's descriptor return once the interface was deleted. */
    static final int EBADFD = 77;
    static final int EINVAL = 22;
    static final int EBUSY = 16;
    /** {@code struct ifreq}: a 16-byte name, then a 24-byte union (flags, mtu, sockaddr). */
    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = InterfaceNames.IFNAMSIZ;
    static final int IFR_UNION = 16;

    private static final MethodHandle IOCTL = Libc.errnoCall("ioctl", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SOCKET = Libc.errnoCall("socket", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle POLL = Libc.errnoCall("poll", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    /** One errno buffer per thread, so that a frame's read or write allocates nothing. */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Libc.errnoBuffer(Arena.ofAuto()));

    private final String name;
    private final int fd;
    private final int control;
    private volatile boolean closed;

    private Tap(String name, int fd, int control) {
        this.name = name;
        this.fd = fd;
        this.control = control;
    }

    /**
     * Opens (creating if needed) TAP {@code name} in the calling thread's network namespace. An interface of that
     * name that is not a TAP (the loopback, a veth, a bridge) is refused before anything of it is changed.
     */
    public static Tap open(String name) throws IOException {
        if (!InterfaceNames.valid(name)) {
            throw new IllegalArgumentException("a TAP name is " + InterfaceNames.RULE + ", not '" + name + "'");
        }
        int fd = Posix.open(Path.of("/dev/net/tun"), Posix.O_RDWR | Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        int control = -1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            control = (int) SOCKET.invokeExact(capture, AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (control < 0) {
                throw new IOException("socket(AF_INET6, SOCK_DGRAM) for the ioctls of TAP " + name + ": "
                        + Libc.describe(Libc.errno(capture)));
            }
            MemorySegment ifr = ifreq(arena, name);
            ifr.set(ValueLayout.JAVA_SHORT, IFR_UNION, (short) (IFF_TAP | IFF_NO_PI));
            int r = (int) IOCTL.invokeExact(capture, fd, TUNSETIFF, ifr);
            if (r < 0) {
                throw attachFailure(arena, control, name, Libc.errno(capture));
            }
            return new Tap(ifr.getString(0), fd, control);
        } catch (Throwable e) {
            Posix.close(fd);
            if (control >= 0) {
                Posix.close(control);
            }
            if (e instanceof IOException io) {
                throw io;
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("TAP downcall failed", e);
        }
    }

    /**
     * Opens TAP {@code name} inside the network namespace {@code netns} (a file such as
     * {@code /var/run/netns/NAME} or {@code /proc/PID/ns/net}): a new platform thread joins the namespace,
     * opens the TAP and its control socket there, and ends. The TAP stays in that namespace.
     */
    public static Tap openIn(Path netns, String name) throws IOException {
        return NetNamespace.call(netns, () -> open(name));
    }

    /** Why TUNSETIFF refused {@code name}, said as what the administrator has in the way. */
    private static IOException attachFailure(Arena arena, int control, String name, int errno) throws Throwable {
        String call = "ioctl(TUNSETIFF, " + name + ", IFF_TAP|IFF_NO_PI): " + Libc.describe(errno);
        if (errno == EBUSY) {
            return new IOException("TAP " + name + " is held open by another process (" + call + ")");
        }
        if (errno == EINVAL && (int) IOCTL.invokeExact(Libc.errnoBuffer(arena), control, SIOCGIFINDEX,
                ifreq(arena, name)) == 0) {
            return new IOException("interface " + name + " exists and is not a TAP this can attach to (one made by"
                    + " 'ip tuntap add dev " + name + " mode tap', not multi_queue); it was left as it is (" + call
                    + ")");
        }
        return new IOException(call);
    }

    private static MemorySegment ifreq(Arena arena, String name) {
        MemorySegment ifr = arena.allocate(IFREQ_SIZE, 8);
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        MemorySegment.copy(n, 0, ifr, ValueLayout.JAVA_BYTE, 0, Math.min(n.length, IFNAMSIZ - 1));
        return ifr;
    }

    private static void ioctl(int fd, long request, String requestName, String name, MemorySegment ifr,
                              String argument) throws IOException {
        Libc.checked("ioctl(" + requestName + ", " + name + (argument.isEmpty() ? "" : ", " + argument) + ")",
                capture -> (int) IOCTL.invokeExact(capture, fd, request, ifr));
    }

    /** The interface's name (what the kernel gave it). */
    public String name() {
        return name;
    }

    /** The TAP's file descriptor, for an epoll set; readable when a frame waits. */
    public int fd() {
        return fd;
    }

    private MemorySegment request(Arena arena) {
        ensureOpen();
        return ifreq(arena, name);
    }

    /** The interface's index ({@code SIOCGIFINDEX}): what rtnetlink names it by ({@link LinkWatch}). */
    public int index() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = request(arena);
            ioctl(control, SIOCGIFINDEX, "SIOCGIFINDEX", name, ifr, "");
            return ifr.get(ValueLayout.JAVA_INT, IFR_UNION);
        }
    }

    /** Sets the interface's Ethernet address (6 bytes; unicast, as the kernel requires). */
    public void mac(byte[] mac) throws IOException {
        if (mac.length != 6) {
            throw new IllegalArgumentException("an Ethernet address is 6 bytes, not " + mac.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = request(arena);
            ifr.set(ValueLayout.JAVA_SHORT, IFR_UNION, (short) ARPHRD_ETHER);
            MemorySegment.copy(mac, 0, ifr, ValueLayout.JAVA_BYTE, IFR_UNION + 2, 6);
            ioctl(control, SIOCSIFHWADDR, "SIOCSIFHWADDR", name, ifr, HexFormat.ofDelimiter(":").formatHex(mac));
        }
    }

    /** The interface's Ethernet address. */
    public byte[] mac() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = request(arena);
            ioctl(control, SIOCGIFHWADDR, "SIOCGIFHWADDR", name, ifr, "");
            return ifr.asSlice(IFR_UNION + 2, 6).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** Sets the MTU (the IP payload size, without the 14-byte Ethernet header). */
    public void mtu(int mtu) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = request(arena);
            ifr.set(ValueLayout.JAVA_INT, IFR_UNION, mtu);
            ioctl(control, SIOCSIFMTU, "SIOCSIFMTU", name, ifr, Integer.toString(mtu));
        }
    }

    public int mtu() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = request(arena);
            ioctl(control, SIOCGIFMTU, "SIOCGIFMTU", name, ifr, "");
            return ifr.get(ValueLayout.JAVA_INT, IFR_UNION);
        }
    }

    /**
     * Sets the interface's carrier, as a NIC driver does on a link change ({@code netif_carrier_on/off}): the
     * interface stays administratively up, so its addresses and routes stay too (taken down, Linux removes its IPv6
     * addresses), and shows {@code NO-CARRIER} without one. False when this kernel has no {@code TUNSETCARRIER}
     * (before 4.20): nothing was changed.
     */
    public boolean carrier(boolean on) throws IOException {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            value.set(ValueLayout.JAVA_INT, 0, on ? 1 : 0);
            int r = (int) IOCTL.invokeExact(capture, fd, TUNSETCARRIER, value);
            if (r == 0) {
                return true;
            }
            int errno = Libc.errno(capture);
            if (errno == EINVAL || errno == ENOTTY) {
                return false;
            }
            throw new IOException("ioctl(TUNSETCARRIER, " + name + ", " + (on ? 1 : 0) + "): "
                    + Libc.describe(errno));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("TAP downcall failed", e);
        }
    }

    /**
     * Brings the interface up or down, keeping its other flags: what {@code ip link set up/down} does (down removes
     * its IPv6 addresses). The NIC's link is the {@link #carrier}, where the kernel has one.
     */
    public void up(boolean up) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = request(arena);
            ioctl(control, SIOCGIFFLAGS, "SIOCGIFFLAGS", name, ifr, "");
            short flags = ifr.get(ValueLayout.JAVA_SHORT, IFR_UNION);
            ifr.set(ValueLayout.JAVA_SHORT, IFR_UNION, (short) (up ? flags | IFF_UP : flags & ~IFF_UP));
            ioctl(control, SIOCSIFFLAGS, "SIOCSIFFLAGS", name, ifr, up ? "+IFF_UP" : "-IFF_UP");
        }
    }

    public boolean isUp() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = request(arena);
            ioctl(control, SIOCGIFFLAGS, "SIOCGIFFLAGS", name, ifr, "");
            return (ifr.get(ValueLayout.JAVA_SHORT, IFR_UNION) & IFF_UP) != 0;
        }
    }

    /**
     * Reads one frame into {@code buffer} without blocking: its length, or 0 when none is waiting. A frame
     * longer than the buffer is truncated by the kernel; give a buffer of at least MTU + 14 bytes.
     */
    public int read(MemorySegment buffer) throws IOException {
        ensureOpen();
        long n = Posix.read(fd, buffer, buffer.byteSize(), CAPTURE.get());
        if (n == -Posix.EAGAIN || n == -Posix.EINTR) {
            return 0;
        }
        if (n < 0) {
            throw failure("read", (int) -n);
        }
        return (int) n;
    }

    /**
     * Writes the first {@code length} bytes of {@code frame} as one frame without blocking: false when the
     * kernel cannot take it now (the caller keeps it or drops it and counts the drop).
     */
    public boolean write(MemorySegment frame, int length) throws IOException {
        ensureOpen();
        long n = Posix.write(fd, frame, length, CAPTURE.get());
        if (n == -Posix.EAGAIN || n == -Posix.EINTR) {
            return false;
        }
        if (n < 0) {
            throw failure("write of a " + length + "-byte frame", (int) -n);
        }
        return true;
    }

    /**
     * A failed read or write: {@link GoneException} when the interface was deleted under the descriptor
     * ({@code ip link delete}: the kernel detaches it and answers {@code EBADFD} ever after).
     */
    private IOException failure(String what, int errno) {
        String call = what + " of TAP " + name + ": " + Libc.describe(errno);
        return errno == EBADFD ? new GoneException("TAP " + name + " is gone: it was deleted outside this process ("
                + call + ")") : new IOException(call);
    }

    /** The TAP's interface was deleted ({@code ip link delete}): its descriptor carries nothing any more. */
    public static final class GoneException extends IOException {
        GoneException(String message) {
            super(message);
        }
    }

    /**
     * Waits up to {@code timeoutMillis} for a frame to read; whether one is waiting, or the descriptor polls as an
     * error (the interface was deleted), which the next {@link #read} then reports.
     */
    public boolean awaitReadable(int timeoutMillis) throws IOException {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pfd = arena.allocate(8, 4);
            pfd.set(ValueLayout.JAVA_INT, 0, fd);
            pfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            MemorySegment capture = Libc.errnoBuffer(arena);
            int r = (int) POLL.invokeExact(capture, pfd, 1L, timeoutMillis);
            if (r < 0) {
                int errno = Libc.errno(capture);
                if (errno == Posix.EINTR) {
                    return false;
                }
                throw new IOException("poll of TAP " + name + ": " + Libc.describe(errno));
            }
            return r > 0 && (pfd.get(ValueLayout.JAVA_SHORT, 6) & (POLLIN | POLL_ERROR)) != 0;
        } catch (IOException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("poll downcall failed", e);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("TAP " + name + " is closed");
        }
    }

    /** Closes the TAP (a non-persistent interface disappears with it) and its control socket. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Posix.close(fd);
            Posix.close(control);
        }
    }

    @Override
    public String toString() {
        return "TAP " + name;
    }
}
