package dev.vmbus.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

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

    private static final MethodHandle SOCKET = Libc.errnoCall("socket",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SENDTO = Libc.errnoCall("sendto", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private final Arena arena = Arena.ofShared();
    private final MemorySegment address;
    private final int addressLength;
    private final MemorySegment callState = Libc.errnoBuffer(arena);
    private final MemorySegment buffer;
    private final String target;
    private int fd;

    /**
     * Opens a socket that sends datagrams of at most {@code maxDatagramBytes} to {@code target}: a path, or
     * {@code @name} for the abstract namespace (as {@code sd_notify} accepts in {@code NOTIFY_SOCKET}).
     *
     * @throws IllegalArgumentException if the path is too long for {@code sun_path}
     * @throws IOException              if {@code socket()} fails
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
            IOException failure = Libc.failure("socket(AF_UNIX, SOCK_DGRAM)", callState);
            arena.close();
            throw failure;
        }
    }

    /**
     * Sends one datagram of at most the size given at construction.
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
            throw Libc.failure("sendto " + target, callState);
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
                Posix.close(fd);
            } catch (IllegalStateException e) {
                // nothing more can be done about a descriptor that will not close
            }
            fd = -1;
            arena.close();
        }
    }
}
