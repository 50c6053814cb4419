package dev.vmbus.transport.uio;

import dev.vmbus.os.Posix;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.ring.RingLayout;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.InterruptTarget;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The host's end of a fixture channel, standing where Hyper-V and the kernel are on a real guest: it maps the
 * same ring file as the guest and holds the other end of the socket pair. Signalling the guest does what an
 * older kernel's ISR does (sets the guest's RX {@code interrupt_mask}, spec section 8.2) and then makes the
 * guest's 4-byte read return the cumulative count; a 4-byte {@code write(1)} from the guest signals the host.
 */
final class FixtureHostLink implements ChannelLink {
    private final Offer offer;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;
    private final int headerSize;
    private final SocketPair pair;
    private final InterruptTarget target;
    private final AtomicInteger interrupts = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong kicks = new java.util.concurrent.atomic.AtomicLong();
    private final Thread reader;

    private final java.util.List<ChannelBuffer> buffers;

    FixtureHostLink(Offer offer, Path ring, int headerSize, SocketPair pair, Context hostContext) throws Exception {
        this(offer, ring, headerSize, pair, hostContext, java.util.Map.of());
    }

    /**
     * With the channel's receive and send buffers: each the file standing for uio map 3 or 4 ({@link FixtureNodes}),
     * by its name, mapped by the host as the guest maps it (the memory Hyper-V and the guest share by GPADL).
     */
    FixtureHostLink(Offer offer, Path ring, int headerSize, SocketPair pair, Context hostContext,
                    java.util.Map<ChannelBuffer.Name, Path> bufferFiles) throws Exception {
        this.offer = offer;
        this.memory = Posix.map(ring, 0, offer.memorySize(), arena);
        java.util.List<ChannelBuffer> mapped = new java.util.ArrayList<>();
        for (var b : bufferFiles.entrySet()) {
            mapped.add(new ChannelBuffer(b.getKey(), Posix.map(b.getValue(), 0, java.nio.file.Files.size(b.getValue()),
                    arena)));
        }
        this.buffers = java.util.List.copyOf(mapped);
        this.headerSize = headerSize;
        this.pair = pair;
        this.target = new InterruptTarget(hostContext);
        // Test code may block: one thread reads the guest's kicks and raises the host's line.
        this.reader = Thread.ofPlatform().daemon(true).name("fixture-host-" + offer.relid()).start(() -> {
            while (pair.readFromGuest() != null) {
                kicks.incrementAndGet();
                target.interrupt();
            }
        });
    }

    @Override
    public Offer offer() {
        return offer;
    }

    @Override
    public MemorySegment memory() {
        return memory;
    }

    @Override
    public java.util.List<ChannelBuffer> buffers() {
        return buffers;
    }

    @Override
    public int headerSize() {
        return headerSize;
    }

    @Override
    public void signal() {
        long rx = offer.memorySize() / 2;
        memory.set(ValueLayout.JAVA_INT, rx + RingLayout.INTERRUPT_MASK_OFFSET, 1);
        pair.interrupt(interrupts.incrementAndGet());
    }

    int interrupts() {
        return interrupts.get();
    }

    long kicks() {
        return kicks.get();
    }

    @Override
    public void interruptHandler(Runnable handler) {
        target.handler(handler);
    }

    @Override
    public void closedHandler(Consumer<EndReason> handler) {
    }

    @Override
    public Future<Void> close() {
        pair.shutdownHost();
        return Future.succeededFuture();
    }
}
