package dev.vmbus.transport.uio;

import dev.vmbus.os.Posix;

import dev.vmbus.channel.ChannelRings;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.VmbusChannel;
import dev.vmbus.ring.RingLayout;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The kernel and host side of one fixture uio device, behaving as the {@code uio_hv_generic} of a given
 * {@link KernelFeatures} generation does (read from drivers/uio/uio_hv_generic.c and drivers/uio/uio.c):
 * <ul>
 *   <li>a guest {@code write(v)} is {@code hv_uio_irqcontrol(v)}: it sets RX {@code interrupt_mask = !v} of the
 *       primary only, or, with d062463edf17, of the primary and every subchannel; for {@code v != 0} it signals the
 *       host for each touched channel that is not monitored, but only with 547fa4ffd799 (before it, never);</li>
 *   <li>the host signalling a channel runs {@code hv_uio_channel_cb}: for a subchannel before d062463edf17 that
 *       dereferences the NULL {@code device_obj}, recorded here as an oops (a real guest crashes), else the
 *       device's one counter goes up and the guest's 4-byte read returns it;</li>
 *   <li>subchannels are opened by the kernel ({@code hv_uio_new_channel}): headers initialised and RX masked;</li>
 *   <li>a rescind ({@code hv_uio_rescind}) makes the line fail: the guest's next read ends (the socket pair's end of
 *       file standing for EIO).</li>
 * </ul>
 * "Holding the mutex" ({@link #hold}) stops reading the guest's writes and fills the socket, so the guest's next
 * {@code write} sleeps as {@code uio_write} does while another device opens or closes.
 *
 * <p>Made for concurrent use: the reader thread and the test thread share only concurrent collections, atomics
 * and the mapped rings (whose header fields both sides access as the real kernel and guest do).
 */
final class FixtureKernel implements AutoCloseable {
    /** Frames the test writes to fill the socket: not a guest write, ignored. */
    static final int FILL = 0x7EADBEEF;

    private record Channel(int relid, boolean subchannel, boolean monitored, MemorySegment memory) {
        MemorySegment rxHeader() {
            return memory.asSlice(memory.byteSize() / 2);
        }
    }

    private final KernelFeatures kernel;
    private final int headerSize;
    private final Arena arena = Arena.ofShared();
    private final Map<Integer, Channel> channels = new ConcurrentHashMap<>();
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicInteger writes = new AtomicInteger();
    final List<String> oopses = new CopyOnWriteArrayList<>();
    /** Relids the host was signalled for (by a write(1) that reached them), with how often. */
    final Map<Integer, AtomicInteger> hostSignalled = new ConcurrentHashMap<>();
    private final Set<Thread> readers = ConcurrentHashMap.newKeySet();
    private volatile SocketPair pair;
    private int primary;
    private final Object holdLock = new Object();
    private boolean held;
    private boolean parked;

    FixtureKernel(KernelFeatures kernel) {
        this.kernel = kernel;
        this.headerSize = kernel.pageSize();
    }

    /** The device's primary channel, mapped from its ring file (the kernel initialises it when opened). */
    void primary(int relid, Path ring, long size, boolean monitored) throws IOException {
        primary = relid;
        channels.put(relid, new Channel(relid, false, monitored, Posix.map(ring, 0, size, arena)));
    }

    /** {@code hv_uio_new_channel}: the kernel opens a subchannel, initialises its rings and masks its RX ring. */
    void subchannel(int relid, Path ring, long size, boolean monitored) throws IOException {
        MemorySegment memory = Posix.map(ring, 0, size, arena);
        ChannelRings.of(memory, headerSize).initialize();
        Channel c = new Channel(relid, true, monitored, memory);
        c.rxHeader().set(ValueLayout.JAVA_INT, RingLayout.INTERRUPT_MASK_OFFSET, 1);
        channels.put(relid, c);
    }

    /** For {@link FixtureNodes}: {@code /dev/uioN} was opened ({@code vmbus_connect_ring} on the primary). */
    void opened(SocketPair pair) {
        ChannelRings.of(channels.get(primary).memory(), headerSize).initialize();
        this.pair = pair;
        Thread reader = Thread.ofPlatform().daemon(true).name("fixture-kernel").start(() -> read(pair));
        readers.add(reader);
    }

    private void read(SocketPair pair) {
        Integer v;
        while ((v = pair.readFromGuest()) != null) {
            if (v != FILL) {
                irqcontrol(v);
            }
            synchronized (holdLock) {
                while (held) {
                    parked = true;
                    holdLock.notifyAll();
                    try {
                        holdLock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                parked = false;
            }
        }
    }

    private void irqcontrol(int v) {
        writes.incrementAndGet();
        for (Channel c : channels.values()) {
            if (c.subchannel() && !kernel.allChannelEvents()) {
                continue; // before d062463edf17 irqcontrol looks at dev->channel only
            }
            c.rxHeader().set(ValueLayout.JAVA_INT, RingLayout.INTERRUPT_MASK_OFFSET, v == 0 ? 1 : 0);
            if (v != 0 && !c.monitored() && kernel.slowChannels()) {
                hostSignalled.computeIfAbsent(c.relid(), r -> new AtomicInteger()).incrementAndGet();
            }
        }
    }

    /** The host's end of channel {@code relid}: its signals go through {@code hv_uio_channel_cb}. */
    VmbusChannel host(int relid) {
        Channel c = channels.get(relid);
        Offer offer = new Offer(relid, UUID.randomUUID(), UUID.randomUUID(), c.subchannel() ? 1 : 0,
                (int) (c.memory().byteSize() / 2));
        return VmbusChannel.host(offer, ChannelRings.of(c.memory(), headerSize), () -> channelCallback(c), 0);
    }

    private void channelCallback(Channel c) {
        if (c.subchannel() && !kernel.allChannelEvents()) {
            oopses.add("BUG: NULL pointer dereference in hv_uio_channel_cb (subchannel " + c.relid()
                    + ": device_obj is NULL)");
            return;
        }
        pair.interrupt(count.incrementAndGet());
    }

    int rxMask(int relid) {
        return channels.get(relid).rxHeader().get(ValueLayout.JAVA_INT, RingLayout.INTERRUPT_MASK_OFFSET);
    }

    /** Guest {@code write()}s the kernel has handled. */
    int writes() {
        return writes.get();
    }

    int signalled(int relid) {
        AtomicInteger n = hostSignalled.get(relid);
        return n == null ? 0 : n.get();
    }

    /** Takes the mutex {@code uio_write} needs: guest writes sleep from now on. */
    void hold() {
        synchronized (holdLock) {
            held = true;
        }
        pair.fillFromGuest(FILL); // wakes the reader, which takes one frame and then waits
        synchronized (holdLock) {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!parked && System.nanoTime() < deadline) {
                try {
                    holdLock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (!parked) {
                throw new IllegalStateException("the fixture kernel's reader did not stop");
            }
        }
        pair.fillFromGuest(FILL); // now nothing reads: the socket is full and the guest's next write sleeps
    }

    void release() {
        synchronized (holdLock) {
            held = false;
            holdLock.notifyAll();
        }
    }

    /** {@code hv_uio_rescind}: the line fails. */
    void rescind() {
        pair.shutdownHost();
    }

    @Override
    public void close() {
        release();
        if (pair != null) {
            pair.shutdownHost();
        }
        for (Thread t : readers) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        arena.close();
    }
}
