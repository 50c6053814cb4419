package dev.vmbus.dashboard;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.transport.KernelCounters;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where and how the dashboard serves: the config file's {@code dashboard} section, which is the one home of its
 * bind address, port, token, update interval and health thresholds, and what the agent adds to it.
 *
 * @param config         {@code dashboard}: bind address (anything but loopback requires a token), port (0 picks a
 *                       free one), token (else {@code VMBUS_DASHBOARD_TOKEN}, else none), how often the live stream
 *                       carries a snapshot (and history takes a point), and when a channel or device needs attention
 * @param devices        the enabled device handlers: the page shows their states, their health hooks judge
 *                       them and their gauges go to {@code /metrics}
 * @param kernelCounters on the uio transport, where the kernel's own per-channel counters are read (shown beside
 *                       the agent's); null elsewhere
 * @param settings       each device's config section as the config file gives it ({@code devices.<name>}), shown
 *                       on its card as what is configured to happen; absent names show none
 */
public record DashboardOptions(VmbusConfig.Dashboard config, List<DevicePlugin<?>> devices,
                               KernelCounters.Source kernelCounters, Map<String, JsonObject> settings) {
    /** Live-stream clients served at once; more get 503. */
    public static final int MAX_STREAM_CLIENTS = 16;

    public DashboardOptions {
        Objects.requireNonNull(config, "config");
        devices = List.copyOf(devices);
        settings = settings == null ? Map.of() : Map.copyOf(settings);
    }

    /** Without the kernel's counters (sim and shm transports) and the devices' config sections. */
    public DashboardOptions(VmbusConfig.Dashboard config, List<DevicePlugin<?>> devices) {
        this(config, devices, null, Map.of());
    }

    /** {@code {name: section}} of every enabled device, without {@code enabled}: what {@code /api/config} serves. */
    JsonObject settingsJson() {
        JsonObject out = new JsonObject();
        for (String name : deviceNames()) {
            JsonObject section = settings.get(name);
            JsonObject copy = section != null ? section.copy() : new JsonObject();
            copy.remove("enabled");
            out.put(name, copy);
        }
        return out;
    }

    /** The enabled device handlers' names, in order. */
    public List<String> deviceNames() {
        return devices.stream().map(DevicePlugin::name).toList();
    }

    /** The enabled device handlers by name. */
    Map<String, DevicePlugin<?>> devicesByName() {
        Map<String, DevicePlugin<?>> out = new LinkedHashMap<>();
        devices.forEach(d -> out.put(d.name(), d));
        return out;
    }
}
