package dev.vmbus.dashboard;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import dev.vmbus.spi.DeviceGauge;
import dev.vmbus.spi.DevicePlugin;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The Prometheus families of health and device state, registered beside {@link PrometheusFormat}'s: the health the
 * dashboard decided ({@code vmbus_channel_health_state}, {@code vmbus_channel_problem},
 * {@code vmbus_device_health_state}) and the raw device facts the alert rules in {@code conf/prometheus/} use, so
 * that a fleet's thresholds live in Prometheus rather than in each agent. The device facts are the gauges each
 * enabled device class declares ({@link DevicePlugin#gauges}), read from its own state; channel figures are read
 * typed by PrometheusFormat.
 *
 * <p>Threads: like {@link PrometheusFormat}, which sets the view for one synchronous scrape: one context only.
 */
final class HealthMetrics {
    private static final Logger LOG = Logger.getLogger(HealthMetrics.class.getName());
    /** {@code {channels, devices}} as annotated by {@link HealthRules#annotate}, during one scrape. */
    private JsonObject view;
    private long nowMillis;

    HealthMetrics(PrometheusRegistry registry, Map<String, DevicePlugin<?>> plugins) {
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
        plugins.forEach((name, plugin) -> plugin.gauges().forEach(g -> declare(registry, name, g)));
        nics(registry);
    }

    /** A device's own gauge family: its samples read from that device's state at each scrape. */
    private void declare(PrometheusRegistry registry, String device, DeviceGauge g) {
        try {
            gauge(registry, g.name(), g.help(), g.labelNames().toArray(String[]::new), cb -> {
                JsonObject state = devices().getJsonObject(device);
                if (state == null) {
                    return;
                }
                List<DeviceGauge.Sample> samples;
                try {
                    samples = g.samples().read(state, nowMillis);
                } catch (RuntimeException e) {
                    LOG.warning(device + ": gauge " + g.name() + " could not be read: " + e);
                    return;
                }
                for (DeviceGauge.Sample sample : samples) {
                    cb.call(sample.value(), sample.labelValues().toArray(String[]::new));
                }
            });
        } catch (IllegalArgumentException e) {
            LOG.warning(device + ": gauge " + g.name() + " not served: " + e.getMessage());
        }
    }

    /** The guest's synthetic NICs ({@code devices.netvsc.nics}, docs/METRICS.md), one family per figure. */
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
}
