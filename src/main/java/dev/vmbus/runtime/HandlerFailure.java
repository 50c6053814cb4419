package dev.vmbus.runtime;

import dev.vmbus.channel.EndReason;

/** A {@link PacketHandler}'s failure carrying the reason the channel should end with. Immutable. */
public final class HandlerFailure extends RuntimeException {
    private final EndReason reason;

    public HandlerFailure(EndReason reason) {
        super(reason.text(), null, false, false);
        this.reason = reason;
    }

    public EndReason reason() {
        return reason;
    }
}
