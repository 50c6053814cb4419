package dev.vmbus.dashboard;

import dev.vmbus.bus.AgentSnapshot;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The synthetic NIC's Prometheus families, read from the netvsc device's state (docs/METRICS.md). */
class NetvscMetricsTest {

    @Test
    void eachNicFigureIsAFamily() {
        JsonObject nic = new JsonObject().put("name", "vmbus0").put("relid", 7).put("link", "up").put("mtu", 1500)
                .put("queues", new JsonArray()
                        .add(new JsonObject().put("index", 0).put("framesFromHost", 10).put("bytesFromHost", 15000)
                                .put("framesToHost", 4).put("bytesToHost", 400))
                        .add(new JsonObject().put("index", 1).put("framesFromHost", 3).put("bytesFromHost", 180)
                                .put("framesToHost", 0).put("bytesToHost", 0)))
                .put("sendSections", new JsonObject().put("inUse", 2).put("count", 2730))
                .put("drops", new JsonObject().put("notUp", 1).put("noSendSection", 5));
        JsonObject view = new JsonObject().put("channels", new JsonArray())
                .put("devices", new JsonObject().put("netvsc", new JsonObject().put("nics", new JsonArray().add(nic))));
        String text = new PrometheusFormat().render(new AgentSnapshot(0, List.of()), view, null, 0);
        for (String line : List.of(
                "vmbus_netvsc_link_up{nic=\"vmbus0\",relid=\"7\"} 1.0",
                "vmbus_netvsc_mtu_bytes{nic=\"vmbus0\"} 1500.0",
                "vmbus_netvsc_send_sections_in_use{nic=\"vmbus0\"} 2.0",
                "vmbus_netvsc_frames_total{direction=\"from_host\",nic=\"vmbus0\",queue=\"0\"} 10.0",
                "vmbus_netvsc_frames_total{direction=\"to_host\",nic=\"vmbus0\",queue=\"0\"} 4.0",
                "vmbus_netvsc_frames_total{direction=\"from_host\",nic=\"vmbus0\",queue=\"1\"} 3.0",
                "vmbus_netvsc_bytes_total{direction=\"from_host\",nic=\"vmbus0\",queue=\"0\"} 15000.0",
                "vmbus_netvsc_drops_total{nic=\"vmbus0\",reason=\"noSendSection\"} 5.0")) {
            assertTrue(text.contains(line), line + " not in:\n" + text);
        }
    }
}
