package dev.vmbus.host;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.ChannelStats;
import dev.vmbus.channel.Offer;
import io.vertx.core.Future;

import java.util.List;

/**
 * Implemented by a host control that can also list its own ends of the channels, for a viewer in a host-only
 * process (no agent there to answer {@code vmbus.stats.now}), which shows them as it shows the agent's. Owned by the
 * host package, like {@link HostControl}; the host knows nothing of the guest's bus.
 */
public interface HostChannels {

    /**
     * One of the host's ends of a channel.
     *
     * @param offer     the channel's offer
     * @param className the host device's name for it
     * @param state     where the channel is
     * @param stats     its ring figures while open, else null
     */
    record End(Offer offer, String className, ChannelState state, ChannelStats stats) {
    }

    /** The host's ends, offered or open, each device's in turn. */
    Future<List<End>> channels();
}
