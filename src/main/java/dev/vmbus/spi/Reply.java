package dev.vmbus.spi;

import dev.vmbus.channel.Packet;

import java.util.Objects;

/**
 * What a {@link Device} answers one packet with, the one reply vocabulary of the SPI (plain devices and
 * {@link IcDevice} services alike): {@link #none() nothing}, {@link #with(OutboundPacket) a packet} on the same
 * channel, {@link #echo() the request's own buffer} as the device modified it in place (how Linux answers every
 * integration-service message), and for the last two {@link #then(Runnable) an action} that runs once the reply
 * is on the ring (Linux answers a shutdown before it starts powering off; so must we).
 *
 * <p>The action runs on the device's context. If the reply never reaches the ring (the channel closed or
 * faulted first) the action is skipped, logged and counted ({@code actionsSkipped} in the device's state): a
 * host that did not hear "yes" must not see the guest act as if it had.
 *
 * <p>Threads: immutable values; build them anywhere, the framework uses them on the device's context.
 */
public sealed interface Reply permits Reply.None, Reply.Send, Reply.Echo {

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

    /**
     * The request's own payload goes back, as the device modified it in place, as an in-band response (transaction
     * id echoed, descriptor flags 0, the same length). An {@link IcDevice} also sets the IC header's response flags.
     */
    static Echo echo() {
        return Echo.PLAIN;
    }

    /**
     * This reply, then {@code action} once it is on the ring (skipped if it never gets there).
     *
     * @throws IllegalStateException on {@link #none()} (nothing is sent, so nothing can follow it) or on a reply
     *                               that already has an action
     */
    Reply then(Runnable action);

    /** The action to run once the reply is on the ring, or null. */
    Runnable afterWrite();

    /** No reply. */
    enum None implements Reply {
        NONE;

        @Override
        public Reply then(Runnable action) {
            throw new IllegalStateException("Reply.none() sends nothing, so no action can follow it");
        }

        @Override
        public Runnable afterWrite() {
            return null;
        }
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

        @Override
        public Send then(Runnable action) {
            return new Send(packet, chain(afterWrite, action));
        }
    }

    /**
     * The request's own (modified) buffer back; see {@link #echo()}.
     *
     * @param afterWrite run on the device's context once the reply is on the ring, or null
     */
    record Echo(Runnable afterWrite) implements Reply {
        static final Echo PLAIN = new Echo(null);

        @Override
        public Echo then(Runnable action) {
            return new Echo(chain(afterWrite, action));
        }

        /** The reply this stands for, to {@code request}. */
        public Send to(Packet request) {
            return new Send(OutboundPacket.response(request.payload(), request.transactionId()), afterWrite);
        }
    }

    private static Runnable chain(Runnable existing, Runnable action) {
        if (existing != null) {
            throw new IllegalStateException("this reply already has an action");
        }
        return Objects.requireNonNull(action, "action");
    }
}
