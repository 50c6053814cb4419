package dev.vmbus.channel;

/** Where a channel is in its life, as the dashboard shows it. */
public enum ChannelState {
    /** Offered by the host, not opened (for example, no handler is enabled for its class). */
    OFFERED,
    /** Rings initialised and in use. */
    OPEN,
    /** The peer broke the ring protocol; the channel is no longer read or written. */
    FAULTED,
    /** The host took the channel away. */
    RESCINDED,
    /** Closed by us. */
    CLOSED
}
