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
    private Consumer<EndReason> closedHandler;
    /** Why the channel went away before anyone took the end ({@link #closedHandler}), or null. */
    private EndReason endedEarly;

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

    /**
     * Sets who hears the channel go away. An end that came before any handler was set (the host rescinded the
     * channel while its owner was still attaching it to a device) is given to this handler at once: without that,
     * on a transport whose ring memory outlives the rescind, nothing else would ever end the channel.
     */
    @Override
    public final void closedHandler(Consumer<EndReason> handler) {
        EndReason early;
        synchronized (this) {
            closedHandler = handler;
            early = endedEarly;
            endedEarly = null;
        }
        if (early != null) {
            handler.accept(early);
        }
    }

    /**
     * For the transport that made this link: tells the owner the channel went away under it, and why (kept for the
     * handler set later if none is set yet). Call it on the owning context, once.
     */
    public final void ended(EndReason reason) {
        Consumer<EndReason> handler;
        synchronized (this) {
            handler = closedHandler;
            if (handler == null) {
                endedEarly = reason;
                return;
            }
        }
        handler.accept(reason);
    }
}
