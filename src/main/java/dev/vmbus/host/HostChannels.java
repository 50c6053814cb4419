package dev.vmbus.host;

import io.vertx.core.Future;
import dev.vmbus.bus.AgentSnapshot;

/**
 * Implemented by a host control that can also list its own ends of the channels, for a viewer in a host-only
 * process (no agent there to answer {@code vmbus.stats.now}). Owned by the host package, like {@link HostControl}.
 */
public interface HostChannels {
    /** The host's ends, in the shape of {@code vmbus.stats.now} (no complaint counts, handled unknown). */
    Future<AgentSnapshot> channels();
}
