package dev.vmbus.dashboard;

import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.device.netvsc.NetvscHandler;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DeviceGauge;
import dev.vmbus.spi.DeviceGauge.Sample;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.NoSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Device families on /metrics: the synthetic NIC's, declared by its handler (docs/METRICS.md), and a plug-in's. */
class NetvscMetricsTest {

    @Test
    void eachNicFigureIsAFamily() {
        JsonObject nic = new JsonObject().put("name", "vmbus0").put("relid", 7).put("link", "up").put("mtu", 1500)
                .put("packetFilter", 0x20)
                .put("queues", new JsonArray()
                        .add(new JsonObject().put("index", 0).put("framesFromHost", 10).put("bytesFromHost", 15000)
                                .put("framesToHost", 4).put("bytesToHost", 400))
                        .add(new JsonObject().put("index", 1).put("framesFromHost", 3).put("bytesFromHost", 180)
                                .put("framesToHost", 0).put("bytesToHost", 0)))
                .put("sendSections", new JsonObject().put("inUse", 2).put("count", 2730))
                .put("drops", new JsonObject().put("notUp", 1).put("noSendSection", 5));
        JsonObject view = new JsonObject().put("channels", new JsonArray())
                .put("devices", new JsonObject().put("netvsc", new JsonObject().put("nics", new JsonArray().add(nic))));
        String text = new PrometheusFormat(Map.of("netvsc", new NetvscHandler())).render(new AgentSnapshot(0, List.of()), view, null, 0);
        for (String line : List.of(
                "vmbus_netvsc_link_up{nic=\"vmbus0\",relid=\"7\"} 1.0",
                "vmbus_netvsc_mtu_bytes{nic=\"vmbus0\"} 1500.0",
                "vmbus_netvsc_packet_filter{nic=\"vmbus0\"} 32.0",
                "vmbus_netvsc_send_sections_in_use{nic=\"vmbus0\"} 2.0",
                "vmbus_netvsc_frames_total{direction=\"from_host\",nic=\"vmbus0\",queue=\"0\"} 10.0",
                "vmbus_netvsc_frames_total{direction=\"to_host\",nic=\"vmbus0\",queue=\"0\"} 4.0",
                "vmbus_netvsc_frames_total{direction=\"from_host\",nic=\"vmbus0\",queue=\"1\"} 3.0",
                "vmbus_netvsc_bytes_total{direction=\"from_host\",nic=\"vmbus0\",queue=\"0\"} 15000.0",
                "vmbus_netvsc_drops_total{nic=\"vmbus0\",reason=\"noSendSection\"} 5.0")) {
            assertTrue(text.contains(line), line + " not in:\n" + text);
        }
        assertTrue(text.contains("# TYPE vmbus_netvsc_frames_total counter"), text);
        assertTrue(text.contains("# TYPE vmbus_netvsc_link_up gauge"), text);
    }

    /** A plug-in's families go through the same path: a counter is served as one, a repeated label set once. */
    @Test
    void aPluginsCounterAndGaugeAreServedFromItsState() {
        DevicePlugin<NoSettings> plugin = new DevicePlugin<>() {
            @Override public String name() { return "widget"; }
            @Override public List<UUID> classIds() { return List.of(UUID.randomUUID()); }
            @Override public NoSettings settings(DeviceContext context) { return NoSettings.of(context); }
            @Override public Device device(NoSettings settings, DeviceContext context) { throw new AssertionError(); }
            @Override public List<DeviceGauge> gauges() {
                return List.of(DeviceGauge.counter("vmbus_widget_turns_total", "Turns.", List.of("side"),
                                (state, now) -> List.of(Sample.of(state.getLong("left"), "left"),
                                        Sample.of(99, "left"), Sample.of(state.getLong("right"), "right"))),
                        new DeviceGauge("vmbus_widget_speed", "Speed.", List.of(), (state, now) -> List.of(Sample.of(2.5))));
            }
        };
        JsonObject view = new JsonObject().put("channels", new JsonArray()).put("devices",
                new JsonObject().put("widget", new JsonObject().put("left", 3).put("right", 4)));
        String text = new PrometheusFormat(Map.of("widget", plugin)).render(new AgentSnapshot(0, List.of()), view, null, 0);
        assertTrue(text.contains("# TYPE vmbus_widget_turns_total counter"), text);
        assertTrue(text.contains("vmbus_widget_turns_total{side=\"left\"} 3.0"), text);
        assertTrue(text.contains("vmbus_widget_turns_total{side=\"right\"} 4.0"), text);
        assertFalse(text.contains("99.0"), "the repeated label set is served once, the first: " + text);
        assertTrue(text.contains("vmbus_widget_speed 2.5"), text);
        assertThrows(IllegalArgumentException.class, () -> DeviceGauge.counter("vmbus_widget_turns", "x", List.of(),
                (state, now) -> List.of()));
    }
}
