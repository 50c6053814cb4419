package dev.vmbus.host;

import dev.vmbus.channel.Offer;

import java.util.List;
import java.util.UUID;

/**
 * The host's end of a plug-in's device class, for the simulated host ({@code vmbus host}, or the host in-process
 * on {@code sim}): what answers, and starts, the conversation on each channel the host offers of one of
 * {@link #classIds()} (config {@code host.offers}). Found with {@link java.util.ServiceLoader} like
 * {@link DevicePlugin} (list it in {@code META-INF/services/dev.vmbus.host.HostPlugin}), in the plug-in's own jar.
 * A class nobody ships a counterpart for is answered by the host's script ({@code host.offers[].send} and
 * {@code echo}).
 *
 * <p>Threads: {@link #counterpart} runs on the host's context when it starts; keep the plug-in stateless.
 */
public interface HostPlugin {

    /** Short name, shown as the host's device name for these channels. Lowercase. */
    String name();

    /** The class GUIDs this counterpart serves. */
    List<UUID> classIds();

    /**
     * The host's end of one offered channel.
     *
     * @param offer   the channel the host offers (relid, class, instance, ring size)
     * @param context this plug-in's name and the offer's {@code settings} object from {@code host.offers}, bound in
     *                one call by {@link CounterpartContext#settings}
     * @throws IllegalArgumentException for bad settings, naming the key: the host does not start
     */
    HostCounterpart counterpart(Offer offer, CounterpartContext context);
}
