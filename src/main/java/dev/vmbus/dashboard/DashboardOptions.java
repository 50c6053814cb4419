package dev.vmbus.dashboard;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.transport.KernelCounters;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where and how the dashboard serves.
 *
 * @param host             bind address; anything but loopback requires a token
 * @param port             TCP port; 0 picks a free one
 * @param token            the access token, or null (then one is generated for host control)
 * @param updateIntervalMs how often the live stream carries a snapshot (and history takes a point)
 * @param devices          the enabled device handlers: the page shows their states, their health hooks judge
 *                         them and their gauges go to {@code /metrics}
 * @param kernelCounters   on the uio transport, where the kernel's own per-channel counters are read (shown beside
 *                         the agent's); null elsewhere
 * @param health           when a channel or device needs attention ({@code dashboard.health})
 * @param settings         each device's config section as the config file gives it ({@code devices.<name>}), shown
 *                         on its card as what is configured to happen; absent names show none
 */
public record DashboardOptions(String host, int port, String token, long updateIntervalMs,
                               List<DevicePlugin<?>> devices, KernelCounters.Source kernelCounters, VmbusConfig.Health health,
                               Map<String, JsonObject> settings) {
    /** Live-stream clients served at once; more get 503. */
    public static final int MAX_STREAM_CLIENTS = 16;

    public DashboardOptions {
        devices = List.copyOf(devices);
        if (health == null) {
            health = VmbusConfig.Health.DEFAULTS;
        }
        settings = settings == null ? Map.of() : Map.copyOf(settings);
    }

    /** Without the devices' config sections (their cards show no settings). */
    public DashboardOptions(String host, int port, String token, long updateIntervalMs,
                            List<DevicePlugin<?>> devices, KernelCounters.Source kernelCounters, VmbusConfig.Health health) {
        this(host, port, token, updateIntervalMs, devices, kernelCounters, health, Map.of());
    }

    /** Without the kernel's counters (sim and shm transports), with the default health thresholds. */
    public DashboardOptions(String host, int port, String token, long updateIntervalMs, List<DevicePlugin<?>> devices) {
        this(host, port, token, updateIntervalMs, devices, null, VmbusConfig.Health.DEFAULTS, Map.of());
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
