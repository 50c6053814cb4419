package dev.vmbus.host;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * Implemented by a host control that can also list its own ends of the channels, for a viewer in a host-only
 * process (no agent there to answer {@code vmbus.stats.now}). Owned by the host package, like {@link HostControl}.
 */
public interface HostChannels {
    /** {@code {channels: [...]}}, in the shape of {@code vmbus.stats.now}. */
    Future<JsonObject> channels();
}
