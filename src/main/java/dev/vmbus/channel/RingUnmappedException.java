package dev.vmbus.channel;

/**
 * The transport unmapped the channel's ring memory under this end (a uio device rescinded or removed: its pages
 * may already be freed), so the access that found out failed instead of touching them. Not a bug: the channel is
 * gone, and the transport's own report of why follows. Every other exception from a channel is a bug.
 */
public final class RingUnmappedException extends RuntimeException {
    private final int relid;

    public RingUnmappedException(int relid, IllegalStateException cause) {
        super(cause.getMessage(), cause);
        this.relid = relid;
    }

    public int relid() {
        return relid;
    }
}
