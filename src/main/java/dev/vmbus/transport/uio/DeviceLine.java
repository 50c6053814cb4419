package dev.vmbus.transport.uio;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * One uio device's interrupt line, shared by its primary channel and every subchannel: the kernel keeps one
 * interrupt counter per device ({@code hv_uio_channel_cb}), so each interrupt is handed to every open channel
 * of the device, and one {@code write()} unmasks them all.
 */
final class DeviceLine implements InterruptThread.Line {
    private static final Logger LOG = Logger.getLogger(DeviceLine.class.getName());

    final UioDevice device;
    final int fd;
    final List<UioLink> links = new CopyOnWriteArrayList<>();
    private final BiConsumer<DeviceLine, String> onLost;
    /** Channels being mapped right now; transport context only. */
    int opening;
    /** Whether the descriptor was handed back for closing; transport context only. */
    boolean retired;
    private volatile int lastCount;
    private volatile boolean lost;
    private volatile String lostReason;
    private Arena pagesArena;
    private MemorySegment interruptPage;
    private MemorySegment monitorPage;

    DeviceLine(UioDevice device, int fd, BiConsumer<DeviceLine, String> onLost) {
        this.device = device;
        this.fd = fd;
        this.onLost = onLost;
    }

    @Override
    public void interrupted(int count) {
        lastCount = count;
        for (UioLink link : links) {
            link.interrupt();
        }
    }

    @Override
    public void lost(String reason) {
        lostReason = reason;
        lost = true;
        onLost.accept(this, reason);
    }

    boolean isLost() {
        return lost;
    }

    /** Why the line was lost, or null. */
    String lostReason() {
        return lostReason;
    }

    /** The cumulative interrupt count of the last read (what {@code /sys/class/uio/uioN/event} shows). */
    int lastCount() {
        return lastCount;
    }

    /** {@code write(1)}: unmask every channel of the device and, for unmonitored channels, signal the host. */
    void writeKick() {
        long r = Posix.writeInt(fd, 1);
        if (r < 0 && r != -Posix.EAGAIN) {
            // EIO after a rescind: the interrupt thread reports the loss; EAGAIN (fixture socket full): a kick
            // is already pending, which is all a kick means.
            LOG.fine(() -> "uio: write(1) on " + device.uio() + " failed: " + Posix.describe((int) -r));
        }
    }

    /** A kick through the interrupt and monitor pages (uio maps 1 and 2), mapped on first use. Blocking I/O. */
    synchronized Runnable monitorKick(UioChannel channel, UioNodes nodes, UioDiscovery discovery) throws IOException {
        if (pagesArena == null) {
            Arena arena = Arena.ofShared();
            try {
                UioNodes.MapLocation one = nodes.map(device, 1);
                UioNodes.MapLocation two = nodes.map(device, 2);
                interruptPage = Posix.map(one.file(), one.offset(), discovery.mapSize(device.uio(), 1), arena);
                monitorPage = Posix.map(two.file(), two.offset(), discovery.mapSize(device.uio(), 2), arena);
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

    /** Unmaps the monitor pages; call once no link of this device can kick any more. */
    synchronized void unmapPages() {
        if (pagesArena != null) {
            pagesArena.close();
            pagesArena = null;
        }
    }
}
