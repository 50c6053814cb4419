package dev.vmbus.spi;

import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.UUID;

/**
 * The plug-in SPI: what a device class declares. One implementation per class, found with
 * {@link java.util.ServiceLoader} (list it in {@code META-INF/services/dev.vmbus.bus.DevicePlugin}); built-in
 * handlers are found the same way as plug-ins.
 *
 * <p>At start-up the registry calls {@link #settings} once with the handler's config section; a bad section stops
 * start-up with {@code devices.<name>: <message>}. When the agent starts it calls {@link #device} with those
 * settings and runs the {@link Device} it returns: the framework registers it at {@code vmbus.device.<name>},
 * serves its state at {@code vmbus.device.<name>.state}, and opens one channel per offer whose class is in
 * {@link #classIds()}.
 *
 * <p>Threads: {@link #settings} runs on the thread that builds the registry, {@link #device} on the one that starts
 * the agent; keep a handler stateless, and put run-time state in its {@link Device}.
 *
 * @param <S> the parsed settings (a record), or {@link NoSettings}
 */
public interface DevicePlugin<S> {
    /** Packets in flight to the device per channel unless {@link #credit()} says otherwise. */
    int DEFAULT_CREDIT = 64;

    /** Short name: the config key under {@code devices}, the address suffix and the dashboard's label. Lowercase. */
    String name();

    /** The class GUIDs this handler serves. */
    List<UUID> classIds();

    /**
     * Parses this handler's config section ({@link DeviceContext#config()}, without {@code enabled}); called once,
     * before anything starts.
     *
     * @throws IllegalArgumentException naming the bad key and why
     */
    S settings(DeviceContext context);

    /** The device for one agent, configured by what {@link #settings} returned. */
    Device device(S settings, DeviceContext context);

    /**
     * The device's problems now, judged from its own state (what {@link Device#state()} answered a moment ago) against
     * {@code check}: the health hook. The dashboard calls it once per snapshot for every enabled device, built-in or
     * plug-in, and shows what it returns the same way everywhere: on each channel a problem names, on the device
     * ({@code health} of {@code /api/devices/{name}}), in the summary, and in {@code /metrics}
     * ({@code vmbus_channel_problem}, {@code vmbus_channel_health_state}, {@code vmbus_device_health_state}). Say
     * a channel's problem only for the channels in {@link HealthCheck#openChannels()}. Pure: any thread, no I/O.
     * None by default.
     */
    default List<DeviceProblem> health(JsonObject state, HealthCheck check) {
        return List.of();
    }

    /**
     * Gauge families this class adds to {@code /metrics}, their samples read from the device's state at each
     * scrape (the raw facts alert rules use, e.g. {@code vmbus_heartbeat_age_seconds}). None by default.
     */
    default List<DeviceGauge> gauges() {
        return List.of();
    }

    /**
     * Figures the dashboard charts over time for this class ({@code /api/history} under the device's name, e.g.
     * timesync's offset), read from the device's state once per update. None by default.
     */
    default List<DeviceSeries> series() {
        return List.of();
    }

    /** Whether the handler runs when the config file does not mention it. */
    default boolean enabledByDefault() {
        return true;
    }

    /**
     * Credit units of one channel that may be with the device at once: a packet costs one, a transfer-page packet
     * one per range, i.e. per receive-buffer slot it holds until completed. At it the channel stops draining and
     * the host sees a full ring (and, for slots, an exhausted receive buffer): the protocol's back-pressure. Keep it as small as the protocol allows: it is also how many
     * of a hostile channel's packets can queue in front of a healthy channel's at a device shared by both.
     */
    default int credit() {
        return DEFAULT_CREDIT;
    }

    /**
     * Whether the framework checks what the host sends before the device sees it: every transfer-page range must
     * lie inside the channel's receive buffer, and (on a channel without a requestor) every completion must name
     * a transaction id the channel sent asking for one. A packet that fails faults its channel
     * ({@code BAD_PEER_PACKET}, the values in the reason). Off by default: a device that checks these itself
     * (netvsc) says why in its own protocol's words.
     */
    default boolean checkPeerPackets() {
        return false;
    }

    /** Requestor slots for the channel (0 when the device never sends requests that want a completion). */
    default int requestorSize() {
        return 0;
    }
}
