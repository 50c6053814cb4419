package dev.vmbus.channel;

import dev.vmbus.ring.RingFault;

import java.util.Objects;

/**
 * Why a channel stopped being open: the one typed reason the runtime, the lifecycle events, the agent's listing
 * and the stats all carry. The kind decides the state the channel ends in ({@link Kind#state()}), so a state and
 * its reason can never disagree; {@link #text()} is what the log, the events' {@code reason} and the dashboard
 * show.
 *
 * @param kind      what happened
 * @param text      the detail for people (the offending values, the handler's message)
 * @param ringFault the broken ring rule, for {@link Kind#RING_FAULT} only (null otherwise)
 */
public record EndReason(Kind kind, String text, RingFault ringFault) {

    /** What ended a channel, and the state each leaves it in. */
    public enum Kind {
        /** The host took the channel away (a rescind offer message, or {@code op: rescind} on shm). */
        HOST_RESCINDED(ChannelState.RESCINDED),
        /** The peer closed its end (seen from the host: the guest closed the channel, or opened it afresh). */
        PEER_CLOSED(ChannelState.RESCINDED),
        /** The peer's process or the connection to it went away (shm socket closed, transport lost its host). */
        PEER_GONE(ChannelState.RESCINDED),
        /** Our own transport is shutting down under the channel. */
        TRANSPORT_CLOSED(ChannelState.RESCINDED),
        /** The transport unmapped the ring memory (a uio device left: its pages may be freed). */
        RING_UNMAPPED(ChannelState.RESCINDED),
        /** The peer broke a ring rule; {@link #ringFault()} says which. */
        RING_FAULT(ChannelState.FAULTED),
        /**
         * The peer sent a well-formed packet that names memory outside the channel's buffers (a transfer-page range
         * past the receive buffer) or completes a request this end never sent.
         */
        BAD_PEER_PACKET(ChannelState.FAULTED),
        /** The device handler failed a packet or answered with something that is not a packet. */
        HANDLER_FAILED(ChannelState.FAULTED),
        /** The device handler did not answer a packet in time. */
        HANDLER_TIMED_OUT(ChannelState.FAULTED),
        /** The channel could not be opened. */
        OPEN_FAILED(ChannelState.FAULTED),
        /** This end closed the channel (the guest agent stopping, or a host end closing its side). */
        CLOSED(ChannelState.CLOSED);

        private final ChannelState state;

        Kind(ChannelState state) {
            this.state = state;
        }

        /** The state a channel ended by this kind is in. */
        public ChannelState state() {
            return state;
        }
    }

    public EndReason {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(text, "text");
        if ((kind == Kind.RING_FAULT) != (ringFault != null)) {
            throw new IllegalArgumentException("a ring fault, and only a ring fault, carries its RingFault: "
                    + kind + " with " + ringFault);
        }
    }

    /** A reason of {@code kind} (anything but {@link Kind#RING_FAULT}) with {@code text}. */
    public static EndReason of(Kind kind, String text) {
        return new EndReason(kind, text, null);
    }

    /** The peer broke a ring rule: the text is the fault's own ({@code KIND: offending values}). */
    public static EndReason ringFault(RingFault fault) {
        return new EndReason(Kind.RING_FAULT, fault.toString(), fault);
    }

    /** The state this reason leaves the channel in. */
    public ChannelState state() {
        return kind.state();
    }

    @Override
    public String toString() {
        return text;
    }
}
