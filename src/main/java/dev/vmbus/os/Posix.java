package dev.vmbus.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The few libc calls the uio transport needs, made through the FFM API ({@link Libc}): no JNI, no native library of
 * our own. Calls that can fail capture {@code errno}; {@link #read} and {@link #write} return {@code -errno}
 * instead of throwing, because the interrupt thread must tell EIO (rescind) from EAGAIN (spurious wake-up)
 * without an exception per interrupt.
 *
 * <p>Constants are Linux's values, identical on x86-64 and arm64 (the two architectures Hyper-V guests run).
 */
public final class Posix {
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_FIXED = 0x10;
    private static final int MAP_ANONYMOUS = 0x20;
    /**
     * How long a released mapping stays on private zero pages before it is unmapped: far longer than one memory
     * access that a closing arena's handshake missed can take (see {@link #map}).
     */
    static final long UNMAP_GRACE_MS = 2000;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EAGAIN = 11;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLLIN = 0x1;
    static final int EPOLLERR = 0x8;
    static final int EPOLLHUP = 0x10;

    /** {@code struct epoll_event} is packed on x86-64 (12 bytes), naturally aligned elsewhere (16 bytes). */
    static final boolean X86_64 = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> true;
        default -> false;
    };
    public static final int EPOLL_EVENT_SIZE = X86_64 ? 12 : 16;
    public static final int EPOLL_DATA_OFFSET = X86_64 ? 4 : 8;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout ADDR = ValueLayout.ADDRESS;

    private static final MethodHandle OPEN = Libc.errnoCall("open", FunctionDescriptor.of(INT, ADDR, INT, INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = Libc.errnoCall("close", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle READ = Libc.errnoCall("read", FunctionDescriptor.of(LONG, INT, ADDR, LONG));
    private static final MethodHandle WRITE = Libc.errnoCall("write", FunctionDescriptor.of(LONG, INT, ADDR, LONG));
    private static final MethodHandle MMAP = Libc.errnoCall("mmap", FunctionDescriptor.of(ADDR, ADDR, LONG, INT, INT, INT, LONG));
    private static final MethodHandle MUNMAP = Libc.call("munmap", FunctionDescriptor.of(INT, ADDR, LONG));
    private static final MethodHandle EPOLL_CREATE1 = Libc.errnoCall("epoll_create1", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle EPOLL_CTL = Libc.errnoCall("epoll_ctl", FunctionDescriptor.of(INT, INT, INT, INT, ADDR));
    private static final MethodHandle EPOLL_WAIT = Libc.errnoCall("epoll_wait", FunctionDescriptor.of(INT, INT, ADDR, INT, INT));
    private static final MethodHandle EVENTFD = Libc.errnoCall("eventfd", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle GETEUID = Libc.call("geteuid", FunctionDescriptor.of(INT));

    private Posix() {
    }

    /** {@code open(path, flags)}; throws with the path and the reason. */
    public static int open(Path path, int flags) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(path.toString());
            return Libc.checked("open(" + path + ")", capture -> (int) OPEN.invokeExact(capture, name, flags, 0));
        }
    }

    /** {@code close(fd)}, ignoring errors: there is nothing useful to do about a failed close. */
    public static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(Libc.errnoBuffer(arena), fd);
        } catch (Throwable e) {
            throw new IllegalStateException("close downcall failed", e);
        }
    }

    /** {@code read(fd, buf, count)}: the byte count, or {@code -errno}. */
    public static long read(int fd, MemorySegment buf, long count, MemorySegment capture) {
        try {
            long n = (long) READ.invokeExact(capture, fd, buf, count);
            return n >= 0 ? n : -Libc.errno(capture);
        } catch (Throwable e) {
            throw new IllegalStateException("read downcall failed", e);
        }
    }

    /** {@code write(fd, buf, count)}: the byte count, or {@code -errno}. */
    static long write(int fd, MemorySegment buf, long count, MemorySegment capture) {
        try {
            long n = (long) WRITE.invokeExact(capture, fd, buf, count);
            return n >= 0 ? n : -Libc.errno(capture);
        } catch (Throwable e) {
            throw new IllegalStateException("write downcall failed", e);
        }
    }

    /** Writes one 4-byte native-order integer (the uio interrupt protocol); the byte count or {@code -errno}. */
    public static long writeInt(int fd, int value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(INT);
            buf.set(INT, 0, value);
            return write(fd, buf, 4, Libc.errnoBuffer(arena));
        }
    }

    /** Writes one 8-byte native-order integer (what an eventfd takes); the byte count or {@code -errno}. */
    public static long writeLong(int fd, long value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(LONG);
            buf.set(LONG, 0, value);
            return write(fd, buf, 8, Libc.errnoBuffer(arena));
        }
    }

    /**
     * {@code mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_SHARED, fd, offset)} of {@code path}; the segment is
     * released when {@code arena} closes. The file descriptor is closed at once: the mapping keeps its own
     * reference to the file.
     *
     * <p>Release, in two steps: at the close the file's pages are replaced in place by private zero pages
     * ({@code mmap MAP_FIXED|MAP_ANONYMOUS}, atomic for every other thread), and the range is unmapped
     * {@link #UNMAP_GRACE_MS} later. A shared arena's close is meant to wait out every access in flight, but JDK 25's
     * handshake can miss one running in a compiled {@code Unsafe} accessor (JDK-8364167: a reader crashed with
     * SIGSEGV in {@code Unsafe.getIntUnaligned} here when the close unmapped at once). With the two steps such an
     * access reads zeros or writes to a private page, never to the device's pages and never to an unmapped one.
     */
    public static MemorySegment map(Path path, long offset, long size, Arena arena) throws IOException {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(call);
            MemorySegment addr = (MemorySegment) MMAP.invokeExact(capture, MemorySegment.NULL, size,
                    PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
            if (addr.address() == -1L) {
                throw Libc.failure("mmap of " + size + " bytes at offset " + offset + " of " + path, capture);
            }
            long base = addr.address();
            return MemorySegment.ofAddress(base).reinterpret(size, arena, s -> release(base, size, UNMAP_GRACE_MS));
        } catch (IOException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("mmap downcall failed", e);
        } finally {
            close(fd);
        }
    }

    /**
     * The two-step release of {@link #map}: private zero pages now, unmapped {@code graceMs} later; if the pages
     * cannot be replaced, they are unmapped at once.
     */
    static void release(long address, long size, long graceMs) {
        boolean replaced;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(call);
            MemorySegment at = (MemorySegment) MMAP.invokeExact(capture, MemorySegment.ofAddress(address), size,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0L);
            replaced = at.address() == address;
        } catch (Throwable e) {
            replaced = false;
        }
        if (!replaced) {
            unmap(address, size);
            return;
        }
        CompletableFuture.runAsync(() -> unmap(address, size),
                CompletableFuture.delayedExecutor(graceMs, TimeUnit.MILLISECONDS));
    }

    private static void unmap(long address, long size) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), size);
        } catch (Throwable e) {
            throw new IllegalStateException("munmap downcall failed", e);
        }
    }

    public static int epollCreate() throws IOException {
        return Libc.checked("epoll_create1", capture -> (int) EPOLL_CREATE1.invokeExact(capture, O_CLOEXEC));
    }

    /** {@code epoll_ctl(epfd, op, fd, {events, data = fd})}; {@code -errno} on failure. */
    public static int epollCtl(int epfd, int op, int fd, int events) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment event = arena.allocate(EPOLL_EVENT_SIZE, 8);
            event.set(ValueLayout.JAVA_INT_UNALIGNED, 0, events);
            event.set(ValueLayout.JAVA_LONG_UNALIGNED, EPOLL_DATA_OFFSET, fd);
            MemorySegment capture = Libc.errnoBuffer(arena);
            int r = (int) EPOLL_CTL.invokeExact(capture, epfd, op, fd, event);
            return r == 0 ? 0 : -Libc.errno(capture);
        } catch (Throwable e) {
            throw new IllegalStateException("epoll_ctl downcall failed", e);
        }
    }

    /** {@code epoll_wait} with no timeout: the number of events, or {@code -errno}. */
    public static int epollWait(int epfd, MemorySegment events, int max, MemorySegment capture) {
        try {
            int n = (int) EPOLL_WAIT.invokeExact(capture, epfd, events, max, -1);
            return n >= 0 ? n : -Libc.errno(capture);
        } catch (Throwable e) {
            throw new IllegalStateException("epoll_wait downcall failed", e);
        }
    }

    /** A non-blocking {@code eventfd}, used to wake the interrupt thread. */
    public static int eventfd() throws IOException {
        return Libc.checked("eventfd", capture -> (int) EVENTFD.invokeExact(capture, 0, O_CLOEXEC | O_NONBLOCK));
    }

    /** The effective user id ({@code vmbus bind} needs root on a real system). */
    public static int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException("geteuid downcall failed", e);
        }
    }
}
