package dev.vmbus.transport.uio;

import dev.vmbus.os.Libc;
import dev.vmbus.os.Posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.IntConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The process's one thread that waits for uio interrupts: it {@code epoll}s every device's interrupt line, does
 * the 4-byte {@code read} that {@code /dev/uioN} requires, and hands the result to the line, which only
 * queues work on event loops. Event-loop threads therefore never block on a device.
 *
 * <p>The contract with the kernel (spec section 5.4), relied on here:
 * <ol>
 *   <li>a 4-byte read returns the device's cumulative interrupt count; poll reports readable when it changed;</li>
 *   <li>after a rescind, read fails with EIO and poll reports EPOLLERR; the line is taken out of epoll at once
 *       (level-triggered, it would spin) and reported lost;</li>
 *   <li>a read that returns 0 (end of file) cannot happen on {@code /dev/uioN}; it is what a fixture's socket
 *       pair returns when its peer closes, and counts as the same loss;</li>
 *   <li>a descriptor leaves epoll only on this thread ({@link #retire}, which the {@link KickThread} calls after
 *       the last kick queued for it), and is closed only after that, so a number reused by a later {@code open} is
 *       never read or written by mistake;</li>
 *   <li>the close itself never runs on this thread: the last {@code close} of {@code /dev/uioN} runs
 *       {@code hv_uio_release} → {@code vmbus_disconnect_ring} → {@code vmbus_teardown_gpadl}, which waits
 *       uninterruptibly for the host's GPADL_TORNDOWN ({@code wait_for_completion}, channel.c). Run here, one
 *       device closing would hold every other device's interrupts for a host round trip, and for good if the host
 *       never answers (kernel review F12). Each close runs on a thread of its own, so a close the host never
 *       acknowledges also holds no other close.</li>
 * </ol>
 */
final class InterruptThread implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(InterruptThread.class.getName());
    private static final int MAX_EVENTS = 32;

    /** What a line does with its interrupts; called on the interrupt thread, must not block. */
    interface Line {
        /** An interrupt; {@code count} is the device's cumulative count. */
        void interrupted(int count);

        /** The line is gone (rescind); {@code reason} says how. No further calls follow. */
        void lost(String reason);
    }

    private final int epfd;
    private final int wakeFd;
    /** How long {@link #close} waits for the closes under way before it returns anyway. */
    static final long CLOSE_WAIT_MS = 5_000;

    private final Map<Integer, Line> lines = new ConcurrentHashMap<>();
    private final Queue<Integer> toClose = new ConcurrentLinkedQueue<>();
    /** Closer threads whose {@code close} has not returned yet. */
    private final Set<Thread> closers = ConcurrentHashMap.newKeySet();
    private final IntConsumer closeLine;
    private final String name;
    private final Thread thread;
    private volatile boolean closing;
    private boolean closed;

    /** With {@code close(2)} as the way a line's descriptor is closed. */
    InterruptThread(String name) throws IOException {
        this(name, Posix::close);
    }

    /**
     * @param closeLine closes a retired line's descriptor ({@link UioNodes#closeInterrupt}); it may block for as
     *                  long as the host takes, and is never called on this thread
     */
    InterruptThread(String name, IntConsumer closeLine) throws IOException {
        this.name = name;
        this.closeLine = closeLine;
        epfd = Posix.epollCreate();
        try {
            wakeFd = Posix.eventfd();
        } catch (IOException e) {
            Posix.close(epfd);
            throw e;
        }
        int r = Posix.epollCtl(epfd, Posix.EPOLL_CTL_ADD, wakeFd, Posix.EPOLLIN);
        if (r < 0) {
            Posix.close(wakeFd);
            Posix.close(epfd);
            throw new IOException("epoll_ctl(eventfd): " + Libc.describe(-r));
        }
        thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::loop);
        thread.start();
    }

    /** Starts watching {@code fd}; the line hears every interrupt until it is lost or retired. */
    void add(int fd, Line line) throws IOException {
        lines.put(fd, line);
        int r = Posix.epollCtl(epfd, Posix.EPOLL_CTL_ADD, fd, Posix.EPOLLIN);
        if (r < 0) {
            lines.remove(fd);
            throw new IOException("epoll_ctl(ADD, fd " + fd + "): " + Libc.describe(-r));
        }
    }

    /**
     * Stops watching {@code fd} (on the interrupt thread), then closes it on a closer thread. Safe from any thread,
     * at most once per descriptor.
     */
    synchronized void retire(int fd) {
        if (closed) {
            closeOffThread(fd); // the thread is gone: nothing can be reading this descriptor
            return;
        }
        lines.remove(fd);
        toClose.add(fd);
        wake();
    }

    private void wake() {
        long n = Posix.writeLong(wakeFd, 1);
        if (n < 0 && n != -Posix.EAGAIN) {
            LOG.warning("uio: cannot wake the interrupt thread: " + Libc.describe((int) -n));
        }
    }

    private void loop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate((long) Posix.EPOLL_EVENT_SIZE * MAX_EVENTS, 8);
            MemorySegment buf = arena.allocate(8, 8);
            MemorySegment capture = Libc.errnoBuffer(arena);
            while (!closing) {
                int n = Posix.epollWait(epfd, events, MAX_EVENTS, capture);
                if (n < 0) {
                    if (n == -Posix.EINTR) {
                        continue;
                    }
                    LOG.severe("uio: epoll_wait failed, interrupts stop: " + Libc.describe(-n));
                    break;
                }
                for (int i = 0; i < n; i++) {
                    long base = (long) i * Posix.EPOLL_EVENT_SIZE;
                    int fd = (int) events.get(ValueLayout.JAVA_LONG_UNALIGNED, base + Posix.EPOLL_DATA_OFFSET);
                    if (fd == wakeFd) {
                        long ignored = Posix.read(wakeFd, buf, 8, capture); // reset the eventfd counter
                        continue;
                    }
                    Line line = lines.get(fd);
                    if (line != null) {
                        readOne(fd, line, buf, capture);
                    }
                }
                closeRetired();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "uio: the interrupt thread failed; interrupts stop", e);
        }
    }

    private void readOne(int fd, Line line, MemorySegment buf, MemorySegment capture) {
        long r = Posix.read(fd, buf, 4, capture);
        if (r == 4) {
            line.interrupted(buf.get(ValueLayout.JAVA_INT, 0));
            return;
        }
        if (r == -Posix.EAGAIN || r == -Posix.EINTR) {
            return; // woken for nothing (another reader, or a signal): wait again
        }
        String reason;
        if (r == -Posix.EIO) {
            reason = "rescinded by the host (read of the uio device failed: EIO)";
        } else if (r == 0) {
            reason = "rescinded: the interrupt line reached end of file (its peer closed it)";
        } else if (r > 0) {
            reason = "interrupt line returned " + r + " bytes instead of 4";
        } else {
            reason = "interrupt line read failed: " + Libc.describe((int) -r);
        }
        lines.remove(fd);
        Posix.epollCtl(epfd, Posix.EPOLL_CTL_DEL, fd, 0); // level-triggered: a dead fd would wake us forever
        line.lost(reason);
    }

    private void closeRetired() {
        Integer fd;
        while ((fd = toClose.poll()) != null) {
            Posix.epollCtl(epfd, Posix.EPOLL_CTL_DEL, fd, 0); // already gone if the line was lost: harmless
            closeOffThread(fd);
        }
    }

    /**
     * Closes {@code fd} on a new thread: the GPADL teardown the last close of a device starts can wait on the host
     * for a round trip, or for good, and must hold neither interrupts nor another device's close.
     */
    private void closeOffThread(int fd) {
        Thread closer = Thread.ofPlatform().name(name + "-close-fd" + fd).daemon(true).unstarted(() -> {
            try {
                closeLine.accept(fd);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "uio: closing descriptor " + fd + " failed", e);
            } finally {
                closers.remove(Thread.currentThread());
            }
        });
        closers.add(closer);
        closer.start();
    }

    /** Descriptors handed to a closer thread whose close has not returned yet (a host slow to tear down). */
    int closesUnderWay() {
        return closers.size();
    }

    /** Whether the thread is still waiting for interrupts. */
    boolean running() {
        return thread.isAlive();
    }

    /**
     * Stops the thread and closes every descriptor it still watches, waiting at most {@link #CLOSE_WAIT_MS} for the
     * closes (the host's teardown acknowledgements); a close still waiting then is named and left to finish.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closing = true;
        wake();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Integer fd : lines.keySet()) {
            toClose.add(fd);
        }
        lines.clear();
        closeRetired();
        Posix.close(wakeFd);
        Posix.close(epfd);
        closed = true;
        long deadline = System.nanoTime() + CLOSE_WAIT_MS * 1_000_000L;
        for (Thread closer : closers.toArray(Thread[]::new)) {
            try {
                closer.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!closers.isEmpty()) {
            LOG.warning("uio: " + closers.size() + " device close(s) still wait for the host to tear the channel down"
                    + " (GPADL teardown): " + closers.stream().map(Thread::getName).sorted().toList());
        }
    }
}
