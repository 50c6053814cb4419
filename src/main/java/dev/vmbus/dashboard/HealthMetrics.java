package dev.vmbus.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The Prometheus families of health and device state, registered beside {@link PrometheusFormat}'s: the health the
 * dashboard decided ({@code vmbus_channel_health_state}, {@code vmbus_channel_problem},
 * {@code vmbus_device_health_state}) and the raw device facts the alert rules in {@code conf/prometheus/} use, so
 * that a fleet's thresholds live in Prometheus rather than in each agent. Device state is each handler's own JSON
 * answer (the handlers own its shape), so this reads JSON; channel figures are read typed by PrometheusFormat.
 *
 * <p>Threads: like {@link PrometheusFormat}, which sets the view for one synchronous scrape: one context only.
 */
final class HealthMetrics {
    /** {@code {channels, devices}} as annotated by {@link HealthRules#annotate}, during one scrape. */
    private JsonObject view;
    private long nowMillis;

    HealthMetrics(PrometheusRegistry registry) {
        gauge(registry, "vmbus_channel_health_state", "Health the agent decided per channel: 0 ok, 1 warning, 2 critical.",
                new String[] {"relid", "class"}, cb -> forEachChannel((c, h) ->
                        cb.call(gauge(h.getString("state")), relid(c), c.getString("class", ""))));
        gauge(registry, "vmbus_channel_problem", "1 for each problem a channel has now, by problem code.",
                new String[] {"relid", "class", "problem"}, cb -> forEachChannel((c, h) -> {
                    JsonArray problems = h.getJsonArray("problems", new JsonArray());
                    Set<String> seen = new HashSet<>();
                    for (int k = 0; k < problems.size(); k++) {
                        JsonObject p = problems.getJsonObject(k);
                        String code = p.getString("code");
                        if (!"note".equals(p.getString("level")) && seen.add(code)) {
                            cb.call(1, relid(c), c.getString("class", ""), code);
                        }
                    }
                }));
        gauge(registry, "vmbus_device_health_state", "Health per device handler: 0 ok, 1 warning, 2 critical.",
                new String[] {"device"}, cb -> devices().forEach(e -> {
                    JsonObject h = ((JsonObject) e.getValue()).getJsonObject("health");
                    if (h != null) {
                        cb.call(gauge(h.getString("state")), e.getKey());
                    }
                }));
        gauge(registry, "vmbus_heartbeat_age_seconds", "Seconds since the host's last heartbeat on the channel.",
                new String[] {"relid"}, cb -> forEachDeviceChannel("heartbeat", ch -> {
                    if (ch.containsKey("ageMillis")) {
                        cb.call(ch.getLong("ageMillis") / 1000.0, Integer.toString(ch.getInteger("relid", -1)));
                    }
                }));
        gauge(registry, "vmbus_timesync_offset_seconds", "Host time minus guest time at the last accepted sample.",
                new String[] {"relid"}, cb -> forEachDeviceChannel("timesync", ch -> {
                    if (ch.getDouble("offsetMillis") != null) {
                        cb.call(ch.getDouble("offsetMillis") / 1000.0, Integer.toString(ch.getInteger("relid", -1)));
                    }
                }));
        gauge(registry, "vmbus_timesync_sample_age_seconds", "Seconds since the last time sample from the host.",
                new String[] {"relid"}, cb -> forEachDeviceChannel("timesync", ch -> {
                    Instant last = instant(ch.getString("lastSample"));
                    if (ch.getDouble("offsetMillis") != null && last != null) {
                        cb.call(Math.max(0, nowMillis - last.toEpochMilli()) / 1000.0,
                                Integer.toString(ch.getInteger("relid", -1)));
                    }
                }));
        gauge(registry, "vmbus_vss_frozen", "1 while file systems are frozen for a backup.", new String[0], cb -> {
            JsonObject vss = devices().getJsonObject("vss");
            if (vss != null && vss.containsKey("frozen")) {
                cb.call(vss.getBoolean("frozen", false) ? 1 : 0);
            }
        });
        gauge(registry, "vmbus_vss_frozen_seconds", "Seconds the file systems have been frozen (0 when thawed).",
                new String[0], cb -> {
                    JsonObject vss = devices().getJsonObject("vss");
                    if (vss != null && vss.containsKey("frozen")) {
                        cb.call(vss.getBoolean("frozen", false) ? vss.getLong("frozenForMs", 0L) / 1000.0 : 0);
                    }
                });
        gauge(registry, "vmbus_fcopy_transfer_idle_seconds", "Seconds since a running file copy last received data.",
                new String[] {"relid", "target"}, cb -> {
                    JsonObject fcopy = devices().getJsonObject("fcopy");
                    JsonArray transfers = fcopy != null ? fcopy.getJsonArray("transfers", new JsonArray()) : new JsonArray();
                    Set<String> seen = new HashSet<>();
                    for (int k = 0; k < transfers.size(); k++) {
                        JsonObject x = transfers.getJsonObject(k);
                        String relid = Integer.toString(x.getInteger("relid", -1));
                        String target = x.getString("target", "");
                        // one series per (relid, target): the library refuses a duplicate label set
                        if ("copying".equals(x.getString("state")) && x.containsKey("idleMs") && seen.add(relid + "\0" + target)) {
                            cb.call(x.getLong("idleMs") / 1000.0, relid, target);
                        }
                    }
                });
        nics(registry);
    }

    /** The guest's synthetic NICs ({@code devices.netvsc.nics}, docs/API.md), one family per figure. */
    private void nics(PrometheusRegistry registry) {
        gauge(registry, "vmbus_netvsc_link_up", "1 while the synthetic NIC's link is up.", new String[] {"nic", "relid"},
                cb -> forEachNic(n -> cb.call("up".equals(n.getString("link")) ? 1 : 0, n.getString("name", ""),
                        Integer.toString(n.getInteger("relid", -1)))));
        gauge(registry, "vmbus_netvsc_mtu_bytes", "The synthetic NIC's MTU (0 before bring-up).", new String[] {"nic"},
                cb -> forEachNic(n -> cb.call(n.getInteger("mtu", 0), n.getString("name", ""))));
        gauge(registry, "vmbus_netvsc_send_sections_in_use", "Send-buffer sections holding frames the host has not"
                + " completed.", new String[] {"nic"}, cb -> forEachNic(n -> cb.call(
                n.getJsonObject("sendSections", new JsonObject()).getInteger("inUse", 0), n.getString("name", ""))));
        String[] queueLabels = {"nic", "queue", "direction"};
        CounterWithCallback.builder().name("vmbus_netvsc_frames_total").help("Frames through the synthetic NIC, per"
                + " queue; direction from_host (received) or to_host (sent).").labelNames(queueLabels)
                .callback(cb -> forEachQueue((n, q) -> {
                    cb.call(q.getLong("framesFromHost", 0L), n, q.getValue("index").toString(), "from_host");
                    cb.call(q.getLong("framesToHost", 0L), n, q.getValue("index").toString(), "to_host");
                })).register(registry);
        CounterWithCallback.builder().name("vmbus_netvsc_bytes_total").help("Frame bytes through the synthetic NIC,"
                + " per queue and direction.").labelNames(queueLabels)
                .callback(cb -> forEachQueue((n, q) -> {
                    cb.call(q.getLong("bytesFromHost", 0L), n, q.getValue("index").toString(), "from_host");
                    cb.call(q.getLong("bytesToHost", 0L), n, q.getValue("index").toString(), "to_host");
                })).register(registry);
        CounterWithCallback.builder().name("vmbus_netvsc_drops_total").help("Frames the synthetic NIC dropped, by"
                + " reason.").labelNames("nic", "reason").callback(cb -> forEachNic(n -> {
                    JsonObject drops = n.getJsonObject("drops", new JsonObject());
                    for (String reason : new java.util.TreeSet<>(drops.fieldNames())) {
                        cb.call(drops.getLong(reason, 0L), n.getString("name", ""), reason);
                    }
                })).register(registry);
    }

    private void forEachNic(Consumer<JsonObject> action) {
        JsonObject netvsc = devices().getJsonObject("netvsc");
        JsonArray list = netvsc != null ? netvsc.getJsonArray("nics", new JsonArray()) : new JsonArray();
        Set<String> seen = new HashSet<>();
        for (int k = 0; k < list.size(); k++) {
            JsonObject n = list.getJsonObject(k);
            if (seen.add(n.getString("name", ""))) {
                action.accept(n);
            }
        }
    }

    private void forEachQueue(BiConsumer<String, JsonObject> action) {
        forEachNic(n -> {
            JsonArray queues = n.getJsonArray("queues", new JsonArray());
            Set<Object> seen = new HashSet<>();
            for (int k = 0; k < queues.size(); k++) {
                JsonObject q = queues.getJsonObject(k);
                if (q.getValue("index") != null && seen.add(q.getValue("index"))) {
                    action.accept(n.getString("name", ""), q);
                }
            }
        });
    }

    /** The view the callbacks read during the next scrape; null after it. */
    void set(JsonObject view, long nowMillis) {
        this.view = view;
        this.nowMillis = nowMillis;
    }

    private void forEachChannel(BiConsumer<JsonObject, JsonObject> action) {
        JsonArray channels = view != null ? view.getJsonArray("channels", new JsonArray()) : new JsonArray();
        for (int i = 0; i < channels.size(); i++) {
            JsonObject c = channels.getJsonObject(i);
            JsonObject h = c.getJsonObject("health");
            if (h != null) {
                action.accept(c, h);
            }
        }
    }

    private JsonObject devices() {
        JsonObject d = view != null ? view.getJsonObject("devices") : null;
        return d != null ? d : new JsonObject();
    }

    private void forEachDeviceChannel(String device, Consumer<JsonObject> action) {
        JsonObject d = devices().getJsonObject(device);
        JsonArray list = d != null ? d.getJsonArray("channels", new JsonArray()) : new JsonArray();
        for (int k = 0; k < list.size(); k++) {
            action.accept(list.getJsonObject(k));
        }
    }

    private static String relid(JsonObject c) {
        return Integer.toString(c.getInteger("relid"));
    }

    private static void gauge(PrometheusRegistry registry, String name, String help, String[] labels,
                              Consumer<GaugeWithCallback.Callback> callback) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(labels).callback(callback::accept).register(registry);
    }

    private static int gauge(String state) {
        return switch (state == null ? "" : state) {
            case "warning" -> 1;
            case "critical" -> 2;
            default -> 0;
        };
    }

    private static Instant instant(String iso) {
        try {
            return iso == null ? null : Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
