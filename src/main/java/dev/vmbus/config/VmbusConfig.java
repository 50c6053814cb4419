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

    /** {@code transport}: where channels come from. */
    public record Transport(String type, String shmDir, String sysfsRoot) {
    }

    /** {@code dashboard}: the web dashboard and API. */
    public record Dashboard(boolean enabled, String host, int port, String token) {
    }

    /** {@code host}: the simulated host. */
    public record Host(long heartbeatIntervalMs, long timesyncIntervalMs) {
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
