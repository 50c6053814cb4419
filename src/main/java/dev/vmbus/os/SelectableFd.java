package dev.vmbus.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A file descriptor the JDK cannot wrap (a TAP, an eventfd) made watchable by a {@link java.nio.channels.Selector},
 * so that an event loop's own selector wakes on it instead of a thread of its own that then hands over: the JDK's
 * selectors watch a channel's descriptor <em>number</em>, so a channel made by the JDK is given, with
 * {@code dup3}, the file of the descriptor to watch. The channel is a listening Unix-domain socket (the one channel
 * the JDK reports readable, as {@link SelectionKey#OP_ACCEPT}, on a bare {@code POLLIN}); its own socket is found
 * among this process's descriptors by the unique address it was bound to, then replaced.
 *
 * <p>Only readiness comes from the channel: never read, write or accept through it; read the original descriptor.
 * {@link #close} first gives the number {@code /dev/null}'s file, so the watched file is released at once (a TAP
 * interface can be opened again) whenever the selector gets round to closing the number.
 */
public final class SelectableFd implements AutoCloseable {
    static final int AF_UNIX = 1;
    /** {@code struct sockaddr_un}: a 2-byte family and a 108-byte path. */
    static final int SOCKADDR_UN_SIZE = 110;

    private static final MethodHandle DUP3 = Libc.errnoCall("dup3",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle GETSOCKNAME = Libc.errnoCall("getsockname",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));

    private final ServerSocketChannel channel;
    private final int number;
    private boolean closed;

    private SelectableFd(ServerSocketChannel channel, int number) {
        this.channel = channel;
        this.number = number;
    }

    /**
     * A non-blocking channel whose descriptor number refers to {@code fd}'s file (which stays open and owned by
     * the caller). Throws if this process cannot make one (no temporary directory to bind in, no {@code /proc}).
     */
    public static SelectableFd of(int fd) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Path bound = null;
        try {
            channel.configureBlocking(false);
            channel.bind(null); // the JDK picks a unique name in java.io.tmpdir
            bound = ((UnixDomainSocketAddress) channel.getLocalAddress()).getPath();
            int number = numberBoundTo(bound);
            dup3(fd, number);
            return new SelectableFd(channel, number);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        } finally {
            if (bound != null) {
                Files.deleteIfExists(bound);
            }
        }
    }

    /** The descriptor of this process whose socket is bound to {@code path}: the only one, as the name is unique. */
    private static int numberBoundTo(Path path) throws IOException {
        byte[] want = path.toString().getBytes(StandardCharsets.UTF_8);
        List<Integer> numbers;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            numbers = fds.map(p -> p.getFileName().toString()).filter(s -> s.chars().allMatch(Character::isDigit))
                    .map(Integer::valueOf).toList();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(SOCKADDR_UN_SIZE, 2);
            MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment capture = Libc.errnoBuffer(arena);
            for (int n : numbers) {
                address.fill((byte) 0);
                length.set(ValueLayout.JAVA_INT, 0, SOCKADDR_UN_SIZE);
                int r = (int) GETSOCKNAME.invokeExact(capture, n, address, length);
                int got = length.get(ValueLayout.JAVA_INT, 0);
                if (r == 0 && address.get(ValueLayout.JAVA_SHORT, 0) == AF_UNIX && got >= 2 + want.length
                        && got <= SOCKADDR_UN_SIZE
                        && MemorySegment.mismatch(address, 2, 2 + want.length, MemorySegment.ofArray(want), 0,
                        want.length) == -1 && (got == 2 + want.length || address.get(ValueLayout.JAVA_BYTE,
                        2 + want.length) == 0)) {
                    return n;
                }
            }
        } catch (Throwable e) {
            throw new IllegalStateException("getsockname downcall failed", e);
        }
        throw new IOException("no descriptor of this process is bound to " + path);
    }

    private static void dup3(int from, int to) throws IOException {
        Libc.checked("dup3(" + from + ", " + to + ")", capture -> (int) DUP3.invokeExact(capture, from, to, Posix.O_CLOEXEC));
    }

    /** The channel to register with a selector, for {@link #readyOps}; never read or accept through it. */
    public SelectableChannel channel() {
        return channel;
    }

    /** The interest set meaning "the descriptor is readable": {@link SelectionKey#OP_ACCEPT}. */
    public int readyOps() {
        return SelectionKey.OP_ACCEPT;
    }

    /**
     * Detaches the watched file (its descriptor number now holds {@code /dev/null}) and closes the channel, which
     * its selector finishes on its next turn. Cancel the channel's registration first. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            int devNull = Posix.open(Path.of("/dev/null"), Posix.O_RDWR | Posix.O_CLOEXEC);
            try {
                dup3(devNull, number);
            } finally {
                Posix.close(devNull);
            }
        } catch (IOException e) {
            // cannot happen short of running out of descriptors; the file is then released when the JDK closes
            // the number, on the selector's next turn
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a listening socket's channel does not fail; the number is the JDK's to close
        }
    }

    @Override
    public String toString() {
        return "selectable descriptor " + number;
    }
}
