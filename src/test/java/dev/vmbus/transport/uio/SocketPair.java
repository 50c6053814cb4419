package dev.vmbus.transport.uio;

import dev.vmbus.os.Libc;
import dev.vmbus.os.Posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Native descriptors that stand in for {@code /dev/uioN} in tests: a Unix stream socket pair (the guest end does
 * the 4-byte reads and writes, the test's host/kernel end the other side), and a pty master whose slave is
 * closed, on which {@code read} fails with a real EIO, as {@code /dev/uioN} does after a rescind.
 */
final class SocketPair {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SOCKETPAIR = call("socketpair", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final MethodHandle SHUTDOWN = call("shutdown", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle UNLOCKPT = call("unlockpt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));
    private static final MethodHandle PTSNAME = call("ptsname", FunctionDescriptor.of(ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT));
    private static final MethodHandle SEND = call("send", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final int MSG_DONTWAIT = 0x40;
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SHUT_RDWR = 2;

    final int guest;
    final int host;

    private SocketPair(int guest, int host) {
        this.guest = guest;
        this.host = host;
    }

    private static MethodHandle call(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), fd);
    }

    static SocketPair open() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            int r = (int) SOCKETPAIR.invokeExact(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
            if (r != 0) {
                throw new IOException("socketpair failed");
            }
            return new SocketPair(fds.getAtIndex(ValueLayout.JAVA_INT, 0), fds.getAtIndex(ValueLayout.JAVA_INT, 1));
        } catch (IOException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** The host's end goes away: the guest's next read returns end of file. */
    void shutdownHost() {
        try {
            int ignored = (int) SHUTDOWN.invokeExact(host, SHUT_RDWR);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** A pty master whose slave was opened and closed: poll reports a hang-up and read fails with EIO. */
    static int hungUpPty() throws IOException {
        int noCtty = 0x100;
        int fd = Posix.open(java.nio.file.Path.of("/dev/ptmx"), Posix.O_RDWR | Posix.O_CLOEXEC | noCtty);
        String slave;
        try {
            int ignored = (int) UNLOCKPT.invokeExact(fd);
            MemorySegment name = (MemorySegment) PTSNAME.invokeExact(fd);
            slave = name.reinterpret(64).getString(0);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        Posix.close(Posix.open(java.nio.file.Path.of(slave), Posix.O_RDWR | Posix.O_CLOEXEC | noCtty));
        return fd;
    }

    /**
     * Fills the guest-to-host direction with 4-byte {@code frame}s until the socket takes no more, so that the
     * guest's next (blocking) {@code write} sleeps until the host end reads: how a test makes a kick sleep the way
     * {@code uio_write} sleeps on a kernel mutex. Returns the frames written.
     */
    int fillFromGuest(int frame) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4);
            buf.set(ValueLayout.JAVA_INT, 0, frame);
            int n = 0;
            while ((long) SEND.invokeExact(guest, buf, 4L, MSG_DONTWAIT) == 4) {
                n++;
            }
            return n;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the cumulative interrupt count, as the kernel's uio read would report it. */
    void interrupt(int count) {
        if (Posix.writeInt(host, count) != 4) {
            throw new IllegalStateException("cannot write the interrupt count");
        }
    }

    /** Blocks for the next 4-byte frame from the guest; null at end of file. */
    Integer readFromGuest() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4);
            long n = Posix.read(host, buf, 4, Libc.errnoBuffer(arena));
            return n == 4 ? buf.get(ValueLayout.JAVA_INT, 0) : null;
        }
    }
}
