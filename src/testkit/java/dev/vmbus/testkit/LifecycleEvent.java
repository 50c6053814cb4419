package dev.vmbus.testkit;

import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;

/**
 * A channel's lifecycle event as a test sees it ({@link TestAgent#awaitEvent}, {@link TestAgent#events}): the same
 * facts the agent publishes to the dashboard, in the kit's own type, so that a plug-in's test names nothing of the
 * agent's internal event bus.
 *
 * @param state           the state the channel is in now: {@code OFFERED}, {@code OPEN}, or an ended one
 * @param offer           the channel's offer (relid, class, instance, subchannel, ring size)
 * @param className       the handler's name for the class, the well-known name, or the class GUID
 * @param reason          why it ended (faulted, rescinded, closed), or null while it has not
 * @param timestampMillis when the agent published it, in {@link System#currentTimeMillis()}'s terms
 */
public record LifecycleEvent(ChannelState state, Offer offer, String className, EndReason reason,
                             long timestampMillis) {

    static LifecycleEvent of(ChannelEvent e) {
        return new LifecycleEvent(e.state(), e.offer(), e.className(), e.reason(), e.timestampMillis());
    }

    public int relid() {
        return offer.relid();
    }

    /** Whether the channel ended (faulted, rescinded or closed). */
    public boolean ended() {
        return state.ended();
    }
}
