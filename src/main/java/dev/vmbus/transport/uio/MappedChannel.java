package dev.vmbus.transport.uio;

import dev.vmbus.os.Posix;

import dev.vmbus.channel.ChannelRings;
import dev.vmbus.channel.Offer;
import dev.vmbus.ring.RingLayout;
import dev.vmbus.transport.ChannelBuffer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * A channel's rings mapped into this process, with the kick that signals the host.
 *
 * <p>Where the rings come from: the primary channel's from uio map 0 (offset 0 of {@code /dev/uioN}, size
 * {@code maps/map0/size}), a subchannel's from its sysfs {@code ring} file (size of the file). Both hold the
 * guest's TX ring then its RX ring.
 *
 * <p>Header initialisation: the kernel reinitialises both headers ({@code hv_ringbuffer_init}: indices 0,
 * {@code feature_bits} 1) when {@code /dev/uioN} is first opened ({@code vmbus_connect_ring}) and when it opens
 * a subchannel, and the host may write as soon as that is done. Initialising again here would erase what the
 * host already wrote, so the guest initialises only headers that nobody did: both {@code feature_bits} still 0,
 * which the kernel never leaves them (a fresh fixture file, in practice).
 *
 * <p>Buffers: the device's receive and send buffers (maps 3 and 4, when the kernel made them) are mapped into the
 * same arena as the rings, for the primary and every subchannel alike (one GPADL pair per device), so a rescind
 * unmaps them together.
 */
record MappedChannel(MemorySegment memory, Arena arena, Runnable kick, boolean initialisedHere,
                     List<ChannelBuffer> buffers) {
    private static final Logger LOG = Logger.getLogger(MappedChannel.class.getName());

    /** Maps {@code channel} of {@code line}'s device. Blocking I/O: call on a worker. */
    static MappedChannel map(Offer offer, UioChannel channel, DeviceLine line, UioNodes nodes, UioDiscovery discovery,
                             int headerSize, long ringWaitMs, KernelFeatures kernel, KickThread kicks)
            throws IOException {
        UioDevice device = line.device;
        String refusal = KernelLimits.refusal(kernel, channel, device.uio());
        if (refusal != null) {
            throw new IOException(refusal);
        }
        UioNodes.MapLocation location;
        long size;
        if (channel.subchannel() == 0) {
            long offset = discovery.pageOffset(device.uio(), 0, kernel.pageSize());
            if (offset != 0) {
                throw new IOException(discovery.uioMaps(device.uio()).resolve("map0/addr") + " is " + offset
                        + " bytes into a page"
                        + ": the rings of " + device.uio() + " do not start on a page, which the kernel never does");
            }
            location = nodes.map(device, 0);
            size = device.map0Size();
        } else {
            size = UioDiscovery.awaitRingFile(channel.ringFile(), ringWaitMs);
            location = new UioNodes.MapLocation(channel.ringFile(), 0);
        }
        if (size != offer.memorySize()) {
            throw new IOException("channel " + channel.relid() + " of " + device.uio() + " maps " + size
                    + " bytes, its offer says " + offer.memorySize() + " (2 x ringSize)");
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment memory = Posix.map(location.file(), location.offset(), size, arena);
            ChannelRings rings = ChannelRings.of(memory, headerSize);
            boolean initialise = featureBits(rings.tx().header()) == 0 && featureBits(rings.rx().header()) == 0;
            if (initialise) {
                rings.initialize();
                LOG.fine(() -> "uio: initialised the ring headers of channel " + channel.relid()
                        + " (the kernel had not)");
            }
            // A monitored channel's write(1) only unmasks (irqcontrol signals unmonitored channels only), so it is
            // kicked through the pages; an unmonitored one by a write(1), which KernelLimits allows only where it
            // reaches this channel (the primary, or any channel once d062463edf17 is in).
            Runnable kick = channel.monitored() ? line.monitorKick(channel, nodes, discovery, kernel)
                    : () -> line.requestKick(kicks);
            List<ChannelBuffer> buffers = new ArrayList<>(2);
            for (UioBufferMap b : device.buffers()) {
                UioNodes.MapLocation at = nodes.map(device, b.name().kind().map());
                buffers.add(new ChannelBuffer(b.name(), Posix.map(at.file(), at.offset(), b.size(), arena)));
            }
            return new MappedChannel(memory, arena, kick, initialise, buffers);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static int featureBits(MemorySegment header) {
        return header.get(ValueLayout.JAVA_INT, RingLayout.FEATURE_BITS_OFFSET);
    }
}
