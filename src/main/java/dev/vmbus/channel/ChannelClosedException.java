package dev.vmbus.channel;

/** A send or request could not complete because the channel was rescinded, closed or faulted. */
public class ChannelClosedException extends RuntimeException {
    private final int relid;
    private final EndReason reason;

    public ChannelClosedException(int relid, EndReason reason) {
        super("channel " + relid + " is " + reason.state().name().toLowerCase() + ": " + reason.text());
        this.relid = relid;
        this.reason = reason;
    }

    public int relid() {
        return relid;
    }

    public ChannelState state() {
        return reason.state();
    }

    /** Why the channel ended. */
    public EndReason reason() {
        return reason;
    }
}
