package dev.vmbus.dashboard;

import dev.vmbus.device.timesync.TimesyncHandler;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.DeviceSeries;
import dev.vmbus.spi.NoSettings;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link History}: rates of every counter, in and out apart, totals, the offset, and its bound. */
class HistoryTest {
    static final Map<String, DevicePlugin<?>> DEVICES = Map.of("timesync", new TimesyncHandler());

    static JsonObject snapshot(long t, long packetsIn, long packetsOut, double offset) {
        JsonObject stats = new JsonObject().put("inbound", new JsonObject().put("fillPercent", 10.0))
                .put("outbound", new JsonObject().put("fillPercent", 20.0));
        for (String c : History.COUNTERS) {
            stats.put(c, 0L);
        }
        stats.put("packetsIn", packetsIn).put("packetsOut", packetsOut).put("bytesIn", packetsIn * 64);
        JsonArray channels = new JsonArray()
                .add(new JsonObject().put("relid", 1).put("state", "open").put("stats", stats))
                .add(new JsonObject().put("relid", 2).put("state", "open").put("stats", stats.copy().put("packetsIn", 2 * packetsIn)));
        JsonObject devices = new JsonObject().put("timesync", new JsonObject().put("channels",
                new JsonArray().add(new JsonObject().put("relid", 2).put("offsetMillis", offset))));
        return new JsonObject().put("timestamp", t).put("channels", channels).put("devices", devices);
    }

    @Test
    void ratesPerCounterAndTotalsWithInAndOutApart() {
        History h = new History(1000, DEVICES);
        JsonObject first = snapshot(10_000, 100, 50, 0.0125);
        h.record(first);
        assertNull(first.getJsonArray("channels").getJsonObject(0).getJsonObject("rates").getValue("packetsIn"),
                "no rate before a second point");
        JsonObject second = snapshot(12_000, 300, 60, 0.0131);
        h.record(second);
        JsonObject rates = second.getJsonArray("channels").getJsonObject(0).getJsonObject("rates");
        assertEquals(100.0, rates.getDouble("packetsIn"));
        assertEquals(5.0, rates.getDouble("packetsOut"));
        assertEquals(6400.0, rates.getDouble("bytesIn"));
        assertEquals(0.0, rates.getDouble("malformed"));
        assertEquals(History.COUNTERS.length, rates.size());
        assertEquals(rates, h.rates(1));

        JsonObject overview = h.overview(Long.MIN_VALUE, 1000);
        JsonObject totals = overview.getJsonObject("totals");
        assertEquals(new JsonArray().add(10_000L).add(12_000L), totals.getJsonArray("t"));
        assertEquals(300.0, totals.getJsonArray("packetsIn").getDouble(1), "100/s on relid 1 and 200/s on relid 2");
        assertEquals(10.0, totals.getJsonArray("packetsOut").getDouble(1));
        assertEquals(20.0, totals.getJsonArray("outboundFill").getDouble(1), "fill is the fullest ring, not a sum");
        assertEquals(0.0131, overview.getJsonObject("timesync").getJsonArray("offsetMs").getDouble(1), 1e-6);
        assertEquals(new JsonArray().add(1).add(2), overview.getJsonArray("relids"));

        JsonObject one = h.channel(2, 10_000);
        assertEquals(new JsonArray().add(12_000L), one.getJsonArray("t"), "since is exclusive");
        assertEquals(200.0, one.getJsonArray("packetsIn").getDouble(0));
        assertNull(h.channel(9, Long.MIN_VALUE));
    }

    @Test
    void aCounterThatWentDownIsANewChannelNotANegativeRate() {
        History h = new History(1000, DEVICES);
        h.record(snapshot(1000, 500, 500, 0));
        JsonObject after = snapshot(2000, 3, 3, 0);
        h.record(after);
        assertEquals(0.0, after.getJsonArray("channels").getJsonObject(0).getJsonObject("rates").getDouble("packetsIn"));
    }

    @Test
    void boundedToTenMinutesAndAMinuteMore() {
        History h = new History(500, DEVICES);
        assertEquals(1320, h.capacity());
        for (int i = 0; i < 2000; i++) {
            h.record(snapshot(i * 500L, i, i, 0));
        }
        JsonArray t = h.overview(Long.MIN_VALUE, 500).getJsonObject("totals").getJsonArray("t");
        assertEquals(1320, t.size());
        assertEquals(1999 * 500L, t.getLong(t.size() - 1));
        assertTrue(t.getLong(t.size() - 1) - t.getLong(0) >= History.MIN_SPAN_MS);
        assertEquals(1320, h.channel(1, Long.MIN_VALUE).getJsonArray("t").size());
    }

    /** Any device's declared series is kept under its name, NaN (null) where its state has none; reserved names are not. */
    @Test
    void aPluginsSeriesIsKeptUnderItsName() {
        History h = new History(1000, Map.of("timesync", new TimesyncHandler(), "widget", plugin("widget"),
                "totals", plugin("totals")));
        JsonObject first = snapshot(1000, 1, 1, 0.5);
        first.getJsonObject("devices").put("widget", new JsonObject().put("speed", 7));
        h.record(first);
        h.record(snapshot(2000, 2, 2, 0.25));
        JsonObject overview = h.overview(Long.MIN_VALUE, 1000);
        assertEquals(new JsonArray().add(7.0).addNull(), overview.getJsonObject("widget").getJsonArray("speed"));
        assertEquals(new JsonArray().add(1000L).add(2000L), overview.getJsonObject("widget").getJsonArray("t"));
        assertEquals(0.25, overview.getJsonObject("timesync").getJsonArray("offsetMs").getDouble(1), 1e-6);
        assertEquals(new JsonArray().add(1000L).add(2000L), overview.getJsonObject("totals").getJsonArray("t"),
                "a device named like one of the history's own keys does not replace it");
        assertEquals(new JsonArray().addNull(), h.latest().getJsonObject("widget").getJsonArray("speed"));
        assertEquals(new JsonArray()
                        .add(new JsonObject().put("device", "timesync").put("name", "offsetMs")
                                .put("title", "offset (host − guest)").put("unit", "ms"))
                        .add(new JsonObject().put("device", "widget").put("name", "speed").put("title", "speed")
                                .put("unit", "m/s")),
                overview.getJsonArray("series"), "what the page draws: each kept series as declared, in device order");
    }

    private static DevicePlugin<NoSettings> plugin(String name) {
        return new DevicePlugin<>() {
            @Override public String name() { return name; }
            @Override public List<UUID> classIds() { return List.of(UUID.randomUUID()); }
            @Override public NoSettings settings(DeviceContext context) { return NoSettings.of(context); }
            @Override public Device device(NoSettings settings, DeviceContext context) { throw new AssertionError(); }
            @Override public List<DeviceSeries> series() {
                return List.of(new DeviceSeries("speed", "speed", "m/s", state -> state.getDouble("speed", Double.NaN)));
            }
        };
    }
}
