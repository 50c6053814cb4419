package dev.vmbus.transport.uio;

import dev.vmbus.os.Libc;
import dev.vmbus.os.Posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * One uio device's interrupt line, shared by its primary channel and every subchannel: the kernel keeps one
 * interrupt counter per device ({@code hv_uio_channel_cb}), so each interrupt is handed to every open channel
 * of the device.
 *
 * <p>Kicks: {@code write(1)} runs {@code hv_uio_irqcontrol}, which before d062463edf17 unmasks and signals the
 * primary channel only and since then the primary and every unmonitored subchannel: one write serves every
 * channel of the device, so requests are coalesced to one pending write per device ({@link #requestKick}), made
 * on the {@link KickThread}, never on an event loop. It is also a multiplier (kernel review F15): since
 * d062463edf17 {@code set_event()} makes one {@code vmbus_set_event} hypercall for each unmonitored channel of the
 * device, so a device with N such subchannels costs N + 1 hypercalls a kick, and the host counts them toward
 * throttling. Nothing matters for the integration services (no subchannels); a subchannel plug-in should know.
 *
 * <p>Threads: {@link #interrupted} and {@link #lost} on the interrupt thread; {@link #writeKickNow} and
 * {@link #handBack} on the kick thread; {@link #requestKick} from any owner context; {@code opening} and
 * {@code retired} on the transport context; the pages under this object's lock.
 */
final class DeviceLine implements InterruptThread.Line {
    private static final Logger LOG = Logger.getLogger(DeviceLine.class.getName());
    /** A Hyper-V page: the interrupt and monitor pages are this big whatever the kernel's page size. */
    static final int HV_PAGE = 4096;

    final UioDevice device;
    /** {@link UioDiscovery#registration} of the device when it was opened. */
    final String registration;
    final int fd;
    final List<UioLink> links = new CopyOnWriteArrayList<>();
    private final BiConsumer<DeviceLine, String> onLost;
    private final AtomicBoolean kickPending = new AtomicBoolean();
    /** Channels being mapped right now; transport context only. */
    int opening;
    /** Whether the descriptor was handed back for closing; transport context only. */
    boolean retired;
    /** Kick thread only: the descriptor went to the interrupt thread for closing, so nothing may write to it. */
    private boolean handedBack;
    private volatile long writes;
    private volatile boolean lost;
    private volatile String lostReason;
    private Arena pagesArena;
    private MemorySegment interruptPage;
    private MemorySegment monitorPage;

    DeviceLine(UioDevice device, String registration, int fd, BiConsumer<DeviceLine, String> onLost) {
        this.device = device;
        this.registration = registration;
        this.fd = fd;
        this.onLost = onLost;
    }

    @Override
    public void interrupted(int count) {
        for (UioLink link : links) {
            link.interrupt();
        }
    }

    /**
     * The kernel said the device is gone (EIO or POLLERR): the ring pages may be freed already ({@code
     * hv_uio_rescind} frees them before userspace can see the EIO, and the mapping holds no page reference), so
     * every mapping of this device is closed here and at once, before the owners hear of it on their contexts. That
     * shortens the window; it cannot close it: a store made between the kernel's free and this point lands in
     * reused pages (kernel review F3). An access already past its check completes on still-mapped memory; every
     * later one fails.
     */
    @Override
    public void lost(String reason) {
        lostReason = reason;
        lost = true; // before reading links: attach() adds, then reads this (see UioGuest.attach)
        for (UioLink link : links) {
            link.revoke();
        }
        synchronized (this) {
            if (pagesArena != null) {
                SharedMemory.close(pagesArena, interruptPage);
            }
        }
        onLost.accept(this, reason);
    }

    boolean isLost() {
        return lost;
    }

    /** Why the line was lost, or null. */
    String lostReason() {
        return lostReason;
    }

    /** {@code write(1)} calls made on this device so far. */
    long writes() {
        return writes;
    }

    /**
     * Asks for one {@code write(1)}. While one is queued and not yet started, further requests (from any channel
     * of the device, on any context) are merged into it: it is written after all of their ring updates.
     */
    void requestKick(KickThread kicks) {
        if (!lost && kickPending.compareAndSet(false, true)) {
            kicks.kick(this);
        }
    }

    /** Kick thread: the write itself. The flag is cleared first, so a request arriving during it queues another. */
    void writeKickNow() {
        kickPending.set(false);
        if (handedBack || lost) {
            return;
        }
        writes++;
        long r = Posix.writeInt(fd, 1);
        if (r < 0 && r != -Posix.EAGAIN) {
            // EIO (or EINVAL on newer uio.c) after a rescind: the interrupt thread reports the loss; EAGAIN
            // (a fixture socket full): a kick is already pending, which is all a kick means.
            LOG.fine(() -> "uio: write(1) on " + device.uio() + " failed: " + Libc.describe((int) -r));
        }
    }

    /** Kick thread: the descriptor is about to be closed; no write may follow. */
    void handBack() {
        handedBack = true;
    }

    /**
     * A kick through the interrupt and monitor pages (uio maps 1 and 2), mapped on first use. Blocking I/O.
     * uio maps the whole kernel page holding each Hyper-V page; where in it the Hyper-V page starts is {@code
     * maps/mapN/addr & (PAGE_SIZE - 1)} ({@link UioDiscovery#pageOffset}; {@code maps/mapN/offset} is always 0 for
     * this driver). Before 09eea7ad0b8e that is not 0 on kernels with pages over 4 KiB, so it is always read.
     */
    synchronized Runnable monitorKick(UioChannel channel, UioNodes nodes, UioDiscovery discovery, KernelFeatures kernel)
            throws IOException {
        if (lost) {
            throw new IOException(device.uio() + " is gone: " + lostReason);
        }
        if (pagesArena == null) {
            Arena arena = Arena.ofShared();
            try {
                interruptPage = hyperVPage(1, nodes, discovery, kernel, arena);
                monitorPage = hyperVPage(2, nodes, discovery, kernel, arena);
                pagesArena = arena;
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw new IOException("channel " + channel.relid() + " is monitored (monitor_id " + channel.monitorId()
                        + ") but the interrupt and monitor pages of " + device.uio() + " cannot be mapped: "
                        + e.getMessage(), e);
            }
        }
        return new MonitorKick(interruptPage, monitorPage, channel.relid(), channel.monitorId());
    }

    private MemorySegment hyperVPage(int index, UioNodes nodes, UioDiscovery discovery, KernelFeatures kernel,
                                     Arena arena) throws IOException {
        long size = discovery.mapSize(device.uio(), index);
        long offset = discovery.pageOffset(device.uio(), index, kernel.pageSize());
        if (size < HV_PAGE || offset < 0 || offset % 8 != 0 || offset + HV_PAGE > kernel.pageSize()) {
            throw new IOException(discovery.uioMaps(device.uio()).resolve("map" + index) + ": a " + size
                    + "-byte map at offset " + offset + " cannot hold a " + HV_PAGE + "-byte Hyper-V page inside one "
                    + kernel.pageSize() + "-byte kernel page");
        }
        UioNodes.MapLocation at = nodes.map(device, index);
        long length = ((offset + size + kernel.pageSize() - 1) / kernel.pageSize()) * kernel.pageSize();
        return Posix.map(at.file(), at.offset(), length, arena).asSlice(offset, HV_PAGE);
    }

    /** Unmaps the monitor pages; call once no link of this device can kick any more. */
    synchronized void unmapPages() {
        if (pagesArena != null) {
            SharedMemory.close(pagesArena, interruptPage);
            pagesArena = null;
        }
    }
}
