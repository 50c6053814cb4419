package dev.vmbus.host;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Offer;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.json.JsonObject;

/**
 * One channel the simulated host offers and drives: an integration service ({@link IcHostDevice}) or a plug-in's
 * class ({@link PluginHostDevice}). The host's control actions (rescind, offer, reoffer, inject-fault, delay) work
 * on any of them by relid. Runs on the host's context.
 */
public interface HostDevice extends HostTransport.ChannelListener {

    /** The name shown for the host's end (the service, or the plug-in's counterpart). */
    String name();

    Offer offer();

    /** The host end's channel state: its runtime's while there is one, else {@code OFFERED}. */
    ChannelState channelState();

    /** The channel driver while open (for fault injection), else null. */
    ChannelDriver driver();

    /** The device's state for display. */
    JsonObject state();
}
