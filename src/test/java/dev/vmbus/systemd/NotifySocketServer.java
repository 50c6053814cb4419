package dev.vmbus.systemd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What systemd does with {@code NOTIFY_SOCKET}: a bound {@code AF_UNIX} datagram socket (through libc with the
 * FFM API, as the JDK refuses the family), read by a daemon thread into {@link #messages}, one entry per datagram.
 */
public final class NotifySocketServer implements AutoCloseable {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SOCKET = fn("socket", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = fn("bind", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle RECV = fn("recv", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle SHUTDOWN = fn("shutdown", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    final Path path;
    final List<String> messages = new CopyOnWriteArrayList<>();
    private final int fd;
    private final Thread reader;
    private volatile boolean closed;

    NotifySocketServer(Path path) throws Throwable {
        this.path = path;
        Files.deleteIfExists(path);
        fd = (int) SOCKET.invokeExact(1 /* AF_UNIX */, 2 /* SOCK_DGRAM */, 0);
        if (fd < 0) {
            throw new IOException("socket failed");
        }
        try (Arena arena = Arena.ofConfined()) {
            byte[] p = path.toString().getBytes(StandardCharsets.UTF_8);
            MemorySegment addr = arena.allocate(110, 2);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) 1);
            MemorySegment.copy(p, 0, addr, ValueLayout.JAVA_BYTE, 2, p.length);
            if ((int) BIND.invokeExact(fd, addr, 2 + p.length + 1) != 0) {
                throw new IOException("bind " + path + " failed");
            }
        }
        reader = Thread.ofPlatform().daemon().name("notify-socket").start(this::read);
    }

    private void read() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096);
            while (!closed) {
                long n = (long) RECV.invokeExact(fd, buf, 4096L, 0); // blocks; shutdown() in close() wakes it
                if (n <= 0) {
                    return;
                }
                messages.add(new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
            }
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** How many datagrams so far contained {@code assignment} as one of their lines. */
    long count(String assignment) {
        return messages.stream().filter(m -> m.lines().anyMatch(assignment::equals)).count();
    }

    @Override
    public void close() throws Exception {
        closed = true;
        try {
            int ignored = (int) SHUTDOWN.invokeExact(fd, 2 /* SHUT_RDWR */);
            ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable e) {
            throw new IOException(e);
        }
        reader.join(2_000);
        Files.deleteIfExists(path);
    }

    private static MethodHandle fn(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d);
    }
}
