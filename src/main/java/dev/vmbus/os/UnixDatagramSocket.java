package dev.vmbus.os;

import dev.vmbus.device.timesync.SockSample;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * An unbound {@code AF_UNIX} datagram socket that sends to a path, through libc with the FFM API: the JDK's
 * {@code DatagramChannel} refuses the UNIX family. Sends never block ({@code MSG_DONTWAIT}), so they may run on
 * an event loop; a full receiver queue is an error for that one datagram, not a wait. Used for chronyd's
 * refclock socket and for systemd's {@code NOTIFY_SOCKET} (which may be in the abstract namespace, {@code @name}).
 * Made for concurrent use: {@code send} and {@code close} are synchronized.
 */
public final class UnixDatagramSocket implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** {@code sizeof(sun_path)}: the path and its NUL must fit. */
    public static final int MAX_PATH_BYTES = 107;
    private static final int SOCKADDR_UN_SIZE = 2 + 108;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final MethodHandle SOCKET = libc("socket",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SENDTO = libc("sendto", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private final Arena arena = Arena.ofShared();
    private final MemorySegment address;
    private final int addressLength;
    private final MemorySegment callState = arena.allocate(CALL_STATE);
    private final MemorySegment buffer;
    private final String target;
    private int fd;

    /**
     * Opens a socket that sends to {@code target}.
     *
     * @throws IllegalArgumentException if the path is too long for {@code sun_path}
     * @throws IOException              if {@code socket()} fails
     */
    public UnixDatagramSocket(Path target) throws IOException {
        this(target.toString(), SockSample.LENGTH);
    }

    /**
     * Opens a socket that sends datagrams of at most {@code maxDatagramBytes} to {@code target}: a path, or
     * {@code @name} for the abstract namespace (as {@code sd_notify} accepts in {@code NOTIFY_SOCKET}).
     */
    public UnixDatagramSocket(String target, int maxDatagramBytes) throws IOException {
        boolean abstractName = target.startsWith("@");
        byte[] path = target.getBytes(StandardCharsets.UTF_8);
        if (path.length == 0 || path.length > MAX_PATH_BYTES || (abstractName && path.length == 1)) {
            arena.close();
            throw new IllegalArgumentException("a Unix socket path must be 1.." + MAX_PATH_BYTES + " bytes, got "
                    + path.length + ": " + target);
        }
        this.target = target;
        buffer = arena.allocate(maxDatagramBytes, 8);
        address = arena.allocate(SOCKADDR_UN_SIZE, 2);
        address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(path, 0, address, ValueLayout.JAVA_BYTE, 2, path.length); // the rest stays zero: NUL
        if (abstractName) {
            address.set(ValueLayout.JAVA_BYTE, 2, (byte) 0); // '@' stands for the leading NUL; no trailing NUL
            addressLength = 2 + path.length;
        } else {
            addressLength = 2 + path.length + 1;
        }
        try {
            fd = (int) SOCKET.invokeExact(callState, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        } catch (Throwable e) {
            arena.close();
            throw new IOException("socket(AF_UNIX, SOCK_DGRAM) could not be called: " + e, e);
        }
        if (fd < 0) {
            int errno = errno();
            arena.close();
            throw new IOException("socket(AF_UNIX, SOCK_DGRAM) failed: " + strerror(errno));
        }
    }

    /**
     * Sends one datagram of at most the size given at construction ({@link SockSample#LENGTH} by default).
     *
     * @throws IOException with the errno text (for example no such file, or connection refused when nothing
     *                     is bound at the path)
     */
    public synchronized void send(byte[] datagram) throws IOException {
        if (fd < 0) {
            throw new IOException("socket to " + target + " is closed");
        }
        if (datagram.length > buffer.byteSize()) {
            throw new IllegalArgumentException("datagram of " + datagram.length + " bytes; at most " + buffer.byteSize());
        }
        MemorySegment.copy(datagram, 0, buffer, ValueLayout.JAVA_BYTE, 0, datagram.length);
        long sent;
        try {
            sent = (long) SENDTO.invokeExact(callState, fd, buffer, (long) datagram.length,
                    MSG_DONTWAIT | MSG_NOSIGNAL, address, addressLength);
        } catch (Throwable e) {
            throw new IOException("sendto could not be called: " + e, e);
        }
        if (sent < 0) {
            throw new IOException("sendto " + target + ": " + strerror(errno()));
        }
        if (sent != datagram.length) {
            throw new IOException("sendto " + target + " sent " + sent + " of " + datagram.length + " bytes");
        }
    }

    public String target() {
        return target;
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            try {
                int ignored = (int) CLOSE.invokeExact(fd);
            } catch (Throwable e) {
                // nothing more can be done about a descriptor that will not close
            }
            fd = -1;
            arena.close();
        }
    }

    private int errno() {
        return (int) ERRNO.get(callState, 0L);
    }

    private static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable e) {
            return "errno " + errno;
        }
    }

    private static MethodHandle libc(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, CAPTURE_ERRNO);
    }
}
