package dev.vmbus.device.netvsc;

import dev.vmbus.spi.DeviceGauge;
import dev.vmbus.spi.DeviceGauge.Sample;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The synthetic NICs' families on {@code /metrics} (docs/METRICS.md), read from {@code devices.netvsc}'s state
 * ({@code nics[]}, each with its {@code queues[]} and {@code drops}): link, packet filter, MTU and send sections in
 * use per NIC, frames and bytes per queue and direction, drops per reason.
 */
final class NetvscGauges {
    private NetvscGauges() {
    }

    static List<DeviceGauge> all() {
        List<String> queueLabels = List.of("nic", "queue", "direction");
        return List.of(
                new DeviceGauge("vmbus_netvsc_link_up", "1 while the synthetic NIC's link is up.", List.of("nic", "relid"),
                        perNic(n -> Sample.of("up".equals(n.getString("link")) ? 1 : 0, name(n),
                                Integer.toString(n.getInteger("relid", -1))))),
                new DeviceGauge("vmbus_netvsc_packet_filter", "The RNDIS packet filter the host took for the synthetic"
                        + " NIC (0x1 directed, 0x4 all-multicast, 0x8 broadcast, 0x20 promiscuous); 0 while its"
                        + " interface is down: the host delivers nothing.", List.of("nic"),
                        perNic(n -> Sample.of(n.getInteger("packetFilter", 0), name(n)))),
                new DeviceGauge("vmbus_netvsc_mtu_bytes", "The synthetic NIC's MTU (0 before bring-up).", List.of("nic"),
                        perNic(n -> Sample.of(n.getInteger("mtu", 0), name(n)))),
                new DeviceGauge("vmbus_netvsc_send_sections_in_use", "Send-buffer sections holding frames the host has"
                        + " not completed.", List.of("nic"), perNic(n -> Sample.of(
                        n.getJsonObject("sendSections", new JsonObject()).getInteger("inUse", 0), name(n)))),
                DeviceGauge.counter("vmbus_netvsc_frames_total", "Frames through the synthetic NIC, per queue;"
                        + " direction from_host (received) or to_host (sent).", queueLabels,
                        perQueue("framesFromHost", "framesToHost")),
                DeviceGauge.counter("vmbus_netvsc_bytes_total", "Frame bytes through the synthetic NIC, per queue and"
                        + " direction.", queueLabels, perQueue("bytesFromHost", "bytesToHost")),
                DeviceGauge.counter("vmbus_netvsc_drops_total", "Frames the synthetic NIC dropped, by reason.",
                        List.of("nic", "reason"), (state, now) -> {
                            List<Sample> out = new ArrayList<>();
                            forEachNic(state, n -> {
                                JsonObject drops = n.getJsonObject("drops", new JsonObject());
                                for (String reason : new TreeSet<>(drops.fieldNames())) {
                                    out.add(Sample.of(drops.getLong(reason, 0L), name(n), reason));
                                }
                            });
                            return out;
                        }));
    }

    private static DeviceGauge.Samples perNic(Function<JsonObject, Sample> sample) {
        return (state, now) -> {
            List<Sample> out = new ArrayList<>();
            forEachNic(state, n -> out.add(sample.apply(n)));
            return out;
        };
    }

    private static DeviceGauge.Samples perQueue(String fromHost, String toHost) {
        return (state, now) -> {
            List<Sample> out = new ArrayList<>();
            forEachNic(state, n -> {
                JsonArray queues = n.getJsonArray("queues", new JsonArray());
                for (int k = 0; k < queues.size(); k++) {
                    JsonObject q = queues.getJsonObject(k);
                    if (q.getValue("index") != null) {
                        String index = q.getValue("index").toString();
                        out.add(Sample.of(q.getLong(fromHost, 0L), name(n), index, "from_host"));
                        out.add(Sample.of(q.getLong(toHost, 0L), name(n), index, "to_host"));
                    }
                }
            });
            return out;
        };
    }

    private static void forEachNic(JsonObject state, java.util.function.Consumer<JsonObject> action) {
        JsonArray list = state.getJsonArray("nics", new JsonArray());
        for (int k = 0; k < list.size(); k++) {
            action.accept(list.getJsonObject(k));
        }
    }

    private static String name(JsonObject nic) {
        return nic.getString("name", "");
    }
}
