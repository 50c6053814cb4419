package dev.vmbus.host;

import dev.vmbus.channel.Packet;
import io.vertx.core.json.JsonObject;

/**
 * The host's end of one channel of a plug-in's class, made by {@link HostPlugin#counterpart}. The simulated host
 * offers the channel; once the guest opens it, {@link #opened} gets the link to send on, then every packet the
 * guest writes arrives at {@link #received}. A re-offer (the {@code reoffer} host action) opens it again.
 *
 * <p>Threads: every method runs on the simulated host's one context: no locks needed; never block there.
 */
public interface HostCounterpart {

    /** The guest opened the channel: send what your protocol starts with on {@code link}. */
    void opened(HostLink link);

    /** A packet from the guest (padded to 8 bytes, as every ring packet is). */
    void received(Packet packet);

    /** The channel closed (the guest closed it or went away, or the host rescinded it). */
    default void closed(String reason) {
    }

    /** The counterpart's state for the host's view (a fresh object each call). */
    default JsonObject state() {
        return new JsonObject();
    }
}
