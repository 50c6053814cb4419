package dev.vmbus.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The agent's configuration ({@code conf/vmbus.json}): every key has a default ({@link ConfigLoader#DEFAULTS}),
 * and unknown keys or bad values stop start-up with a message naming the key.
 *
 * @param devices per device class: {@code enabled} plus the handler's own settings, checked by the handler
 */
public record VmbusConfig(Transport transport, Map<String, ObjectNode> devices, Dashboard dashboard, Host host) {

    /**
     * {@code transport}: where channels come from.
     *
     * @param sysfsRoot uio: where {@code bus/vmbus/devices} and {@code class/uio} are
     * @param devRoot   uio: where the {@code uioN} device nodes are
     */
    public record Transport(String type, String shmDir, String sysfsRoot, String devRoot) {

        /** With the default {@code devRoot} ({@code /dev}). */
        public Transport(String type, String shmDir, String sysfsRoot) {
            this(type, shmDir, sysfsRoot, "/dev");
        }
    }

    /** {@code dashboard}: the web dashboard and API. */
    public record Dashboard(boolean enabled, String host, int port, String token, long updateIntervalMs) {

        /** The token from the config file, else from {@code VMBUS_DASHBOARD_TOKEN}, else null. */
        public String effectiveToken() {
            if (token != null) {
                return token;
            }
            String env = System.getenv("VMBUS_DASHBOARD_TOKEN");
            return env == null || env.isBlank() ? null : env;
        }
    }

    /**
     * {@code host}: the simulated host.
     *
     * @param clockOffsetMs the host clock's offset from this machine's, given to the guest by timesync
     * @param clockDriftPpm how fast (positive) or slow the host clock runs, parts per million
     * @param referenceCounterAheadMs how far the partition reference counter that timesync samples carry runs
     *                                ahead of the guest's CLOCK_MONOTONIC_RAW (a real partition is created
     *                                before the guest's kernel starts its clocks)
     */
    public record Host(long heartbeatIntervalMs, long timesyncIntervalMs, long clockOffsetMs, double clockDriftPpm,
                       long referenceCounterAheadMs) {
        /** The default lead of the reference counter: about what firmware and a boot loader take. */
        public static final long DEFAULT_REFERENCE_COUNTER_AHEAD_MS = 17_000;

        /** With the default reference counter lead. */
        public Host(long heartbeatIntervalMs, long timesyncIntervalMs, long clockOffsetMs, double clockDriftPpm) {
            this(heartbeatIntervalMs, timesyncIntervalMs, clockOffsetMs, clockDriftPpm,
                    DEFAULT_REFERENCE_COUNTER_AHEAD_MS);
        }
    }

    /** The device sections as Vert.x JSON, for the device registry. */
    public Map<String, JsonObject> deviceSections() {
        Map<String, JsonObject> out = new LinkedHashMap<>();
        devices.forEach((name, node) -> out.put(name, new JsonObject(node.toString())));
        return out;
    }

    public VmbusConfig withTransport(Transport t) {
        return new VmbusConfig(t, devices, dashboard, host);
    }

    public VmbusConfig withDashboard(Dashboard d) {
        return new VmbusConfig(transport, devices, d, host);
    }

    static boolean isObject(JsonNode n) {
        return n != null && n.isObject();
    }
}
