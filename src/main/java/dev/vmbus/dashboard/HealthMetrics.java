package dev.vmbus.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Prometheus families of health and device state, appended to what {@link PrometheusFormat} renders: the
 * health the dashboard decided ({@code vmbus_channel_health_state}, {@code vmbus_channel_problem},
 * {@code vmbus_device_health_state}) and the raw device facts the alert rules in {@code conf/prometheus/}
 * use, so that a fleet's thresholds live in Prometheus rather than in each agent. Pure; any thread.
 */
final class HealthMetrics {
    private final Map<String, List<String>> samples = new LinkedHashMap<>();
    private final Map<String, String> headers = new LinkedHashMap<>();

    private HealthMetrics() {
    }

    /** @param snapshot {@code {channels, devices}} as annotated by {@link HealthRules#annotate} */
    static String render(JsonObject snapshot, long nowMillis) {
        HealthMetrics m = new HealthMetrics();
        m.declare("vmbus_channel_health_state", "gauge", "Health the agent decided per channel: 0 ok, 1 warning, 2 critical.");
        m.declare("vmbus_channel_problem", "gauge", "1 for each problem a channel has now, by problem code.");
        m.declare("vmbus_device_health_state", "gauge", "Health per device handler: 0 ok, 1 warning, 2 critical.");
        m.declare("vmbus_heartbeat_age_seconds", "gauge", "Seconds since the host's last heartbeat on the channel.");
        m.declare("vmbus_timesync_offset_seconds", "gauge", "Host time minus guest time at the last accepted sample.");
        m.declare("vmbus_timesync_sample_age_seconds", "gauge", "Seconds since the last time sample from the host.");
        m.declare("vmbus_vss_frozen", "gauge", "1 while file systems are frozen for a backup.");
        m.declare("vmbus_vss_frozen_seconds", "gauge", "Seconds the file systems have been frozen (0 when thawed).");
        m.declare("vmbus_fcopy_transfer_idle_seconds", "gauge", "Seconds since a running file copy last received data.");

        JsonArray channels = snapshot.getJsonArray("channels", new JsonArray());
        for (int i = 0; i < channels.size(); i++) {
            JsonObject c = channels.getJsonObject(i);
            JsonObject h = c.getJsonObject("health");
            if (h == null) {
                continue;
            }
            String id = "relid=\"" + c.getInteger("relid") + "\",class=\"" + PrometheusFormat.escape(c.getString("class", "")) + "\"";
            m.sample("vmbus_channel_health_state", "{" + id + "}", gauge(h.getString("state")));
            JsonArray problems = h.getJsonArray("problems", new JsonArray());
            List<String> seen = new ArrayList<>();
            for (int k = 0; k < problems.size(); k++) {
                JsonObject p = problems.getJsonObject(k);
                String code = p.getString("code");
                if (!"note".equals(p.getString("level")) && !seen.contains(code)) {
                    seen.add(code);
                    m.sample("vmbus_channel_problem", "{" + id + ",problem=\"" + PrometheusFormat.escape(code) + "\"}", 1);
                }
            }
        }
        JsonObject devices = snapshot.getJsonObject("devices", new JsonObject());
        for (String name : devices.fieldNames()) {
            JsonObject d = devices.getJsonObject(name);
            if (d.getJsonObject("health") != null) {
                m.sample("vmbus_device_health_state", "{device=\"" + PrometheusFormat.escape(name) + "\"}",
                        gauge(d.getJsonObject("health").getString("state")));
            }
            JsonArray list = d.getJsonArray("channels", new JsonArray());
            for (int k = 0; k < list.size(); k++) {
                JsonObject ch = list.getJsonObject(k);
                String id = "{relid=\"" + ch.getInteger("relid", -1) + "\"}";
                if ("heartbeat".equals(name) && ch.containsKey("ageMillis")) {
                    m.sample("vmbus_heartbeat_age_seconds", id, ch.getLong("ageMillis") / 1000.0);
                }
                if ("timesync".equals(name) && ch.getDouble("offsetMillis") != null) {
                    m.sample("vmbus_timesync_offset_seconds", id, ch.getDouble("offsetMillis") / 1000.0);
                    Instant last = instant(ch.getString("lastSample"));
                    if (last != null) {
                        m.sample("vmbus_timesync_sample_age_seconds", id, Math.max(0, nowMillis - last.toEpochMilli()) / 1000.0);
                    }
                }
            }
            if ("vss".equals(name) && d.containsKey("frozen")) {
                boolean frozen = d.getBoolean("frozen", false);
                m.sample("vmbus_vss_frozen", "", frozen ? 1 : 0);
                m.sample("vmbus_vss_frozen_seconds", "", frozen ? d.getLong("frozenForMs", 0L) / 1000.0 : 0);
            }
            if ("fcopy".equals(name)) {
                JsonArray transfers = d.getJsonArray("transfers", new JsonArray());
                for (int k = 0; k < transfers.size(); k++) {
                    JsonObject x = transfers.getJsonObject(k);
                    if ("copying".equals(x.getString("state")) && x.containsKey("idleMs")) {
                        m.sample("vmbus_fcopy_transfer_idle_seconds", "{relid=\"" + x.getInteger("relid", -1)
                                + "\",target=\"" + PrometheusFormat.escape(x.getString("target", "")) + "\"}",
                                x.getLong("idleMs") / 1000.0);
                    }
                }
            }
        }
        return m.text();
    }

    private static int gauge(String state) {
        return switch (state == null ? "" : state) {
            case "warning" -> 1;
            case "critical" -> 2;
            default -> 0;
        };
    }

    private void declare(String name, String type, String help) {
        headers.put(name, "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n");
        samples.put(name, new ArrayList<>());
    }

    private void sample(String family, String labels, double value) {
        String v = value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%.6f", value);
        samples.get(family).add(family + labels + " " + v);
    }

    private String text() {
        StringBuilder out = new StringBuilder();
        headers.forEach((name, header) -> {
            out.append(header);
            samples.get(name).forEach(s -> out.append(s).append('\n'));
        });
        return out.toString();
    }

    private static Instant instant(String iso) {
        try {
            return iso == null ? null : Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
