package dev.vmbus.channel;

/** A send or request could not complete because the channel was rescinded, closed or faulted. */
public class ChannelClosedException extends RuntimeException {
    private final int relid;
    private final ChannelState state;

    public ChannelClosedException(int relid, ChannelState state, String detail) {
        super("channel " + relid + " is " + state.name().toLowerCase() + (detail != null ? ": " + detail : ""));
        this.relid = relid;
        this.state = state;
    }

    public int relid() {
        return relid;
    }

    public ChannelState state() {
        return state;
    }
}
