package dev.vmbus.transport;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.ChannelRings;
import dev.vmbus.channel.Offer;
import io.vertx.core.Future;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One end's attachment to one channel: the channel's memory, the signal to the peer and the interrupt from it. A transport
 * hands a guest (or a host) a link once the channel is open; the {@code dev.vmbus.channel} layer builds a
 * {@link dev.vmbus.channel.VmbusChannel} over it.
 *
 * <p>Handlers run on the Vert.x context the link was opened on, which owns the channel.
 */
public interface ChannelLink {

    Offer offer();

    /** The channel's memory: TX ring then RX ring, {@code 2 * offer().ringSize()} bytes. */
    MemorySegment memory();

    /** Header length of each ring (the page size of the side that laid the rings out). */
    int headerSize();

    /** The two rings over {@link #memory()}. */
    default ChannelRings rings() {
        return ChannelRings.of(memory(), headerSize());
    }

    /**
     * The channel's receive and send buffers, when the host shares any (uio maps 3 and 4, {@code shm}'s
     * {@code buffers}, {@code sim}'s segments), each named by its GPADL handle. Empty for a channel without.
     */
    default List<ChannelBuffer> buffers() {
        return List.of();
    }

    /** The buffer of {@code kind}, if the channel has one. */
    default Optional<ChannelBuffer> buffer(ChannelBuffer.Kind kind) {
        return buffers().stream().filter(b -> b.kind() == kind).findFirst();
    }

    /**
     * Signals the peer (on uio: a kick). Only the channel calls it, by its signalling rules. Non-blocking; call on
     * the owning context.
     */
    void signal();

    /** Sets what runs (on the owning context) when the peer signals: this end's interrupt. */
    void interruptHandler(Runnable handler);

    /**
     * Sets what runs (on the owning context) when the channel goes away under us: rescinded by the host, the
     * peer's process gone, the control connection lost. The argument says why, typed.
     */
    void closedHandler(Consumer<EndReason> handler);

    /** Closes the channel from this end (the guest sends {@code close}); completes when the peer confirmed. */
    Future<Void> close();
}
