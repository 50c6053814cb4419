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
 * that a fleet's thresholds live in Prometheus rather than in each agent. The device facts are the gauge and
 * counter families each enabled device class declares ({@link DevicePlugin#gauges}), read from its own state (no
 * device is known here by name); channel figures are read typed by PrometheusFormat.
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
    }

    /**
     * A device's own family (gauge or counter): its samples read from that device's state at each scrape; a label
     * set given twice is served once (the library refuses a duplicate), a sample with the wrong number of label
     * values is dropped and logged.
     */
    private void declare(PrometheusRegistry registry, String device, DeviceGauge g) {
        String[] labels = g.labelNames().toArray(String[]::new);
        try {
            switch (g.kind()) {
                case GAUGE -> gauge(registry, g.name(), g.help(), labels, cb -> samples(device, g, cb::call));
                case COUNTER -> CounterWithCallback.builder().name(g.name()).help(g.help()).labelNames(labels)
                        .callback(cb -> samples(device, g, cb::call)).register(registry);
            }
        } catch (IllegalArgumentException e) {
            LOG.warning(device + ": " + g.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + g.name()
                    + " not served: " + e.getMessage());
        }
    }

    /** Where one sample goes: the library's callback. */
    private interface Sink {
        void call(double value, String... labelValues);
    }

    private void samples(String device, DeviceGauge g, Sink sink) {
        JsonObject state = devices().getJsonObject(device);
        if (state == null) {
            return;
        }
        List<DeviceGauge.Sample> samples;
        try {
            samples = g.samples().read(state, nowMillis);
        } catch (RuntimeException e) {
            LOG.warning(device + ": " + g.name() + " could not be read: " + e);
            return;
        }
        Set<List<String>> seen = new HashSet<>();
        for (DeviceGauge.Sample sample : samples) {
            if (sample.labelValues().size() != g.labelNames().size()) {
                LOG.warning(device + ": " + g.name() + " sample " + sample.labelValues() + " does not match the labels "
                        + g.labelNames() + "; dropped");
            } else if (seen.add(sample.labelValues())) {
                sink.call(sample.value(), sample.labelValues().toArray(String[]::new));
            }
        }
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
