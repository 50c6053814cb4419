package dev.vmbus.spi;

import dev.vmbus.channel.Packet;

import java.util.Objects;

/**
 * What a {@link Device} answers one packet with: {@link #none() nothing}, {@link #with(OutboundPacket) a packet}
 * on the same channel, or {@link Send#then(Runnable) a packet and then an action} that runs once that packet is on
 * the ring (Linux answers a shutdown before it starts powering off; so must we).
 *
 * <p>The action runs on the device's context. If the reply never reaches the ring (the channel closed or
 * faulted first) the action is skipped, logged and counted ({@code actionsSkipped} in the device's state): a
 * host that did not hear "yes" must not see the guest act as if it had.
 *
 * <p>Threads: immutable values; build them anywhere, the framework uses them on the device's context.
 */
public sealed interface Reply permits Reply.None, Reply.Send {

    /** No packet goes back (Linux's answer to some malformed or unknown messages). */
    static Reply none() {
        return None.NONE;
    }

    /** {@code packet} goes back on the channel the request came from. */
    static Send with(OutboundPacket packet) {
        return new Send(packet, null);
    }

    /** An in-band response to {@code request}: its transaction id echoed, flags 0, as Linux's drivers answer. */
    static Send response(Packet request, byte[] payload) {
        return with(OutboundPacket.response(payload, request.transactionId()));
    }

    /**
     * A completion of {@code request} ({@code VM_PKT_COMP}, flags 0) carrying its transaction id: how a device
     * hands a transfer-page packet's receive-buffer slots back, or completes any request that set
     * {@link Packet#completionRequested()}. {@code payload} may be empty (netvsc sends an 8-byte NVSP 108).
     */
    static Send complete(Packet request, byte[] payload) {
        return with(OutboundPacket.completion(payload, request.transactionId()));
    }

    /** No reply. */
    enum None implements Reply {
        NONE
    }

    /**
     * A packet to put on the ring, and optionally what to do once it is there.
     *
     * @param packet     the reply
     * @param afterWrite run on the device's context once {@code packet} is on the ring, or null
     */
    record Send(OutboundPacket packet, Runnable afterWrite) implements Reply {
        public Send {
            Objects.requireNonNull(packet, "packet");
        }

        /** This reply, then {@code action} once it is on the ring (skipped if it never gets there). */
        public Send then(Runnable action) {
            if (afterWrite != null) {
                throw new IllegalStateException("this reply already has an action");
            }
            return new Send(packet, Objects.requireNonNull(action, "action"));
        }
    }
}
