package dev.vmbus.transport;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Consumer;

/**
 * What every transport's link holds alike: the offer, the channel's ring memory, the ring header size, the
 * shared buffers, and the handler told when the channel goes away under this end. A transport's link adds its
 * signal, its interrupt and its close.
 */
public abstract class AbstractChannelLink implements ChannelLink {
    private final Offer offer;
    private final MemorySegment memory;
    private final int headerSize;
    private final List<ChannelBuffer> buffers;
    private volatile Consumer<EndReason> closedHandler = reason -> { };

    protected AbstractChannelLink(Offer offer, MemorySegment memory, int headerSize, List<ChannelBuffer> buffers) {
        this.offer = offer;
        this.memory = memory;
        this.headerSize = headerSize;
        this.buffers = List.copyOf(buffers);
    }

    @Override
    public final Offer offer() {
        return offer;
    }

    @Override
    public final MemorySegment memory() {
        return memory;
    }

    @Override
    public final int headerSize() {
        return headerSize;
    }

    @Override
    public final List<ChannelBuffer> buffers() {
        return buffers;
    }

    @Override
    public final void closedHandler(Consumer<EndReason> handler) {
        closedHandler = handler;
    }

    /**
     * For the transport that made this link: tells the owner the channel went away under it, and why. Call it on
     * the owning context, once.
     */
    public final void ended(EndReason reason) {
        closedHandler.accept(reason);
    }
}
