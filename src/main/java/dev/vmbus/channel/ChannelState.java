package dev.vmbus.channel;

/**
 * Where a channel is in its life: the one state vocabulary of the runtime, the lifecycle events on
 * {@code vmbus.channels}, the agent's listing, the simulated host and the stats (which show it lower-cased).
 * A channel that is no longer open says why with an {@link EndReason}, whose kind decides which of
 * {@link #FAULTED}, {@link #RESCINDED} and {@link #CLOSED} it is.
 */
public enum ChannelState {
    /** Offered by the host, not opened (for example, no handler is enabled for its class). */
    OFFERED,
    /** Rings initialised and in use. */
    OPEN,
    /** The peer broke the ring protocol, the handler failed, or the open failed; not read or written again. */
    FAULTED,
    /** The host took the channel away, or the peer or the ring memory went. */
    RESCINDED,
    /** Closed by this end. */
    CLOSED;

    /** Whether a channel in this state has ended (it will not be open again; a new offer is a new channel). */
    public boolean ended() {
        return this == FAULTED || this == RESCINDED || this == CLOSED;
    }
}
