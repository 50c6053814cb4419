package dev.vmbus.transport.uio;

import dev.vmbus.os.Posix;

import dev.vmbus.os.PageSize;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a uio device's interrupt line and memory maps come from: the one seam between the uio transport and
 * the machine, so that the same transport code runs on a real guest and on a fixture tree in tests.
 *
 * <p>On a real guest ({@link #devices}) both are {@code /dev/uioN}: the interrupt line is the open node, and uio
 * selects map {@code N} by the mmap offset {@code N * PAGE_SIZE}. A fixture supplies any file descriptor that
 * does 4-byte reads and writes (one end of a socket pair) and regular files to map instead.
 */
public interface UioNodes {

    /** A file and offset to {@code mmap}. */
    record MapLocation(Path file, long offset) {
    }

    /**
     * Opens the device's interrupt line: 4-byte reads wait for interrupts, 4-byte writes unmask and kick. On a
     * real guest the first open also makes the kernel open the channel (and reinitialise both ring headers).
     * The caller owns the descriptor.
     */
    int openInterrupt(UioDevice device) throws IOException;

    /** Where uio map {@code index} of {@code device} is mapped from (0 rings, 1 interrupt page, 2 monitor page). */
    MapLocation map(UioDevice device, int index);

    /**
     * Closes a descriptor {@link #openInterrupt} gave. On a real guest the last close of {@code /dev/uioN} makes the
     * kernel close the channel ({@code hv_uio_release} → {@code vmbus_disconnect_ring}): a GPADL teardown that waits
     * uninterruptibly for the host, for a round trip or for good (kernel review F12). So the transport calls this on a
     * thread of its own, never on the interrupt or kick thread.
     */
    default void closeInterrupt(int fd) {
        Posix.close(fd);
    }

    /**
     * The real thing: {@code <devRoot>/uioN}, opened read-write and non-blocking, but never while another process
     * (found under {@code procRoot}, see {@link UioHolders}) holds it: two owners of one ring interleave its indices
     * and lose or duplicate packets (kernel review F8), so the open is refused naming the other process.
     */
    static UioNodes devices(Path devRoot, Path procRoot) {
        return new UioNodes() {
            @Override
            public int openInterrupt(UioDevice device) throws IOException {
                UioHolders.Scan others = UioHolders.scan(procRoot, devRoot, device.uio(),
                        device.device().dir().getFileName().toString());
                if (others.held()) {
                    throw new IOException("not opening " + devRoot.resolve(device.uio()) + " (" + device.device().instanceId()
                            + "): another process already uses it, and two owners of one ring lose or duplicate"
                            + " packets: " + others.describe() + " (stop it, e.g. hv_fcopy_uio_daemon or a DPDK"
                            + " application, or disable the class in devices.<name>)");
                }
                // Non-blocking: the interrupt thread reads only after epoll says so, and an EAGAIN is harmless.
                return Posix.open(devRoot.resolve(device.uio()), Posix.O_RDWR | Posix.O_NONBLOCK | Posix.O_CLOEXEC);
            }

            @Override
            public MapLocation map(UioDevice device, int index) {
                return new MapLocation(devRoot.resolve(device.uio()), (long) index * PageSize.system());
            }
        };
    }
}
