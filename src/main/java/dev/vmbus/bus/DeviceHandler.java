package dev.vmbus.bus;

import io.vertx.core.Deployable;

import java.util.List;
import java.util.UUID;

/**
 * The device SPI: one implementation per device class, found with {@link java.util.ServiceLoader} (list it in
 * {@code META-INF/services/dev.vmbus.bus.DeviceHandler}). Built-in handlers are found the same way as plug-ins.
 *
 * <p>The runtime deploys {@link #createVerticle} once, then one channel verticle per offered channel whose
 * class is in {@link #classIds()}. Each received packet arrives at {@link #address()} as a
 * {@link dev.vmbus.channel.Packet} (passed by reference); the handler replies with an {@link OutboundPacket} to
 * put a response on the same channel, or with {@code null} for no response. Until it replies, the packet holds
 * one unit of the channel's credit: a handler that falls behind stops the drain, and the host sees a full ring.
 * A handler that fails the message (or does not answer within the channel's timeout) faults that channel.
 */
public interface DeviceHandler {

    /** Short name: the config key under {@code devices}, and the address suffix. Lowercase. */
    String name();

    /** The class GUIDs this handler serves. */
    List<UUID> classIds();

    /** Where packets for this class are sent. */
    default String address() {
        return Addresses.device(name());
    }

    /** Whether the handler runs when the config file does not mention it. */
    default boolean enabledByDefault() {
        return true;
    }

    /**
     * Packets of one channel that may be with the handler at once (the channel's credit). Beyond it the channel
     * stops draining and the host sees a full ring. Keep it as small as the protocol allows: it is also how many
     * of a hostile channel's packets can queue in front of a healthy channel's at a handler shared by both.
     */
    default int credit() {
        return ChannelVerticle.DEFAULT_CREDIT;
    }

    /** Requestor slots for the channel (0 when the device never sends requests that want a completion). */
    default int requestorSize() {
        return 0;
    }

    /**
     * Checks this handler's config section (without {@code enabled}) before anything starts.
     *
     * @throws IllegalArgumentException naming the bad key and why
     */
    default void validate(DeviceContext context) {
    }

    /** The verticle that consumes {@link #address()}; deployed once per agent. */
    Deployable createVerticle(DeviceContext context);
}
