package dev.vmbus.dashboard;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.device.fcopy.FcopyHandler;
import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.device.timesync.TimesyncHandler;
import dev.vmbus.device.vss.VssHandler;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.DeviceProblem;
import dev.vmbus.spi.HealthCheck;
import dev.vmbus.spi.NoSettings;
import dev.vmbus.spi.Reply;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each rule of {@link HealthRules}, and each built-in device's health hook through it, on snapshots shaped like the
 * agent's, including the summary's words.
 */
class HealthRulesTest {
    static final long NOW = 1_800_000_000_000L;
    static final VmbusConfig.Health HEALTH = new VmbusConfig.Health(1000, 3000, 80, 10, 5000, 2000, 4000);
    private final HealthRules rules = new HealthRules(HEALTH,
            Map.of("heartbeat", new HeartbeatHandler(), "timesync", new TimesyncHandler(), "vss", new VssHandler(),
                    "fcopy", new FcopyHandler()));

    static JsonObject ring(double fill) {
        return new JsonObject().put("writeIndex", 100).put("readIndex", 0).put("fillPercent", fill);
    }

    static JsonObject channel(int relid, String cls, String state) {
        JsonObject c = new JsonObject().put("relid", relid).put("class", cls).put("state", state).put("handled", true);
        if ("open".equals(state)) {
            c.put("stats", new JsonObject().put("inbound", ring(1)).put("outbound", ring(2)).put("malformed", 0)
                    .put("requestorRejected", 0).putNull("fault"));
        }
        return c;
    }

    static JsonObject devices() {
        return new JsonObject()
                .put("heartbeat", new JsonObject().put("channels", new JsonArray().add(new JsonObject().put("relid", 1).put("ageMillis", 200))))
                .put("timesync", new JsonObject().put("channels", new JsonArray().add(new JsonObject().put("relid", 2)
                        .put("offsetMillis", 0.25).put("lastSample", Instant.ofEpochMilli(NOW - 100).toString()))))
                .put("vss", new JsonObject().put("frozen", false).put("channels", new JsonArray()))
                .put("fcopy", new JsonObject().put("transfers", new JsonArray()).put("channels", new JsonArray()));
    }

    static JsonArray six() {
        return new JsonArray().add(channel(1, "heartbeat", "open")).add(channel(2, "timesync", "open"))
                .add(channel(3, "shutdown", "open")).add(channel(4, "kvp", "open")).add(channel(5, "vss", "open"))
                .add(channel(6, "fcopy", "open"));
    }

    private static JsonObject health(JsonArray channels, int relid) {
        return channels.stream().map(JsonObject.class::cast).filter(c -> c.getInteger("relid") == relid).findFirst()
                .orElseThrow().getJsonObject("health");
    }

    @Test
    void allHealthy() {
        JsonArray channels = six();
        JsonObject devices = devices();
        JsonObject summary = rules.annotate(channels, devices, NOW);
        assertEquals("6 channels, all healthy", summary.getString("text"));
        assertEquals(0, summary.getInteger("attention"));
        assertEquals("ok", summary.getString("state"));
        for (int r = 1; r <= 6; r++) {
            assertEquals("ok", health(channels, r).getString("state"), "relid " + r);
        }
        assertEquals("ok", devices.getJsonObject("heartbeat").getJsonObject("health").getString("state"));
    }

    @Test
    void aFullRingIsSaidWithItsClassDirectionAndPercent() {
        JsonArray channels = six();
        channels.getJsonObject(3).getJsonObject("stats").put("outbound", ring(93.4));
        JsonObject summary = rules.annotate(channels, devices(), NOW);
        assertEquals("6 channels, 1 needs attention: kvp outbound ring 93 % full", summary.getString("text"));
        JsonObject h = health(channels, 4);
        assertEquals("warning", h.getString("state"));
        assertEquals("ring_full", h.getJsonArray("problems").getJsonObject(0).getString("code"));
        assertEquals("warning", summary.getString("state"));
    }

    @Test
    void heartbeatLateThenLost() {
        JsonArray channels = six();
        JsonObject devices = devices();
        JsonObject hb = devices.getJsonObject("heartbeat").getJsonArray("channels").getJsonObject(0);
        hb.put("ageMillis", 1500);
        rules.annotate(channels, devices, NOW);
        assertEquals("heartbeat late: no heartbeat for 1.5 s", health(channels, 1).getString("summary"));
        assertEquals("warning", devices.getJsonObject("heartbeat").getJsonObject("health").getString("state"));

        channels = six();
        devices = devices();
        devices.getJsonObject("heartbeat").getJsonArray("channels").getJsonObject(0).put("ageMillis", 3500);
        rules.annotate(channels, devices, NOW);
        assertEquals("critical", health(channels, 1).getString("state"));
        assertEquals("heartbeat lost: no heartbeat for 3.5 s", health(channels, 1).getString("summary"));
        assertEquals("critical", devices.getJsonObject("heartbeat").getJsonObject("health").getString("state"));
    }

    @Test
    void faultedWithReasonIsCritical() {
        JsonArray channels = six();
        channels.set(4, channel(5, "vss", "faulted").put("reason", "malformed packet: offset8 1 inside the descriptor"));
        JsonObject summary = rules.annotate(channels, devices(), NOW);
        assertEquals("critical", health(channels, 5).getString("state"));
        assertEquals("6 channels, 1 needs attention: vss faulted: malformed packet: offset8 1 inside the descriptor",
                summary.getString("text"));
    }

    @Test
    void malformedAndRejectedCountsAreWarnings() {
        JsonArray channels = six();
        channels.getJsonObject(2).getJsonObject("stats").put("malformed", 3).put("requestorRejected", 1);
        rules.annotate(channels, devices(), NOW);
        JsonArray problems = health(channels, 3).getJsonArray("problems");
        assertEquals("shutdown: 3 malformed packets from the host", problems.getJsonObject(0).getString("text"));
        assertEquals("shutdown: 1 completion rejected (unknown request id)", problems.getJsonObject(1).getString("text"));
    }

    @Test
    void timesyncOffsetAndStaleness() {
        JsonArray channels = six();
        JsonObject devices = devices();
        devices.getJsonObject("timesync").getJsonArray("channels").getJsonObject(0).put("offsetMillis", -12.5)
                .put("lastSample", Instant.ofEpochMilli(NOW - 6000).toString());
        rules.annotate(channels, devices, NOW);
        JsonArray problems = health(channels, 2).getJsonArray("problems");
        assertEquals(2, problems.size(), problems.encode());
        assertEquals("timesync offset -12.500 ms (host - guest), beyond 10.000 ms", problems.getJsonObject(0).getString("text"));
        assertEquals("timesync: no time sample for 6.0 s", problems.getJsonObject(1).getString("text"));
    }

    @Test
    void vssFrozenBrieflyIsANoteAndTooLongIsCritical() {
        JsonArray channels = six();
        JsonObject devices = devices();
        devices.getJsonObject("vss").put("frozen", true).put("frozenForMs", 1500);
        JsonObject summary = rules.annotate(channels, devices, NOW);
        assertEquals("ok", health(channels, 5).getString("state"));
        assertEquals("vss: file systems frozen for 1.5 s (backup running)",
                health(channels, 5).getJsonArray("problems").getJsonObject(0).getString("text"));
        assertEquals(0, summary.getInteger("attention"));

        channels = six();
        devices = devices();
        devices.getJsonObject("vss").put("frozen", true).put("frozenForMs", 2500);
        rules.annotate(channels, devices, NOW);
        assertEquals("critical", health(channels, 5).getString("state"));
        assertEquals("critical", devices.getJsonObject("vss").getJsonObject("health").getString("state"));
    }

    @Test
    void aFileCopyWithoutDataIsStuck() {
        JsonArray channels = six();
        JsonObject devices = devices();
        devices.getJsonObject("fcopy").getJsonArray("transfers").add(new JsonObject().put("relid", 6)
                .put("target", "/data/x.iso").put("state", "copying").put("idleMs", 4500))
                .add(new JsonObject().put("relid", 6).put("target", "/data/done").put("state", "completed").put("idleMs", 99_000));
        rules.annotate(channels, devices, NOW);
        JsonObject h = health(channels, 6);
        assertEquals("warning", h.getString("state"));
        assertEquals("fcopy: copy to /data/x.iso stuck, no data for 4.5 s", h.getString("summary"));
        assertEquals(1, h.getJsonArray("problems").size());
    }

    @Test
    void manyProblemsAreSummarisedAndChannelsOfOneClassAreToldApart() {
        JsonArray channels = new JsonArray();
        for (int r = 1; r <= 5; r++) {
            JsonObject c = channel(r, "heartbeat", "open");
            c.getJsonObject("stats").put("inbound", ring(90 + r));
            channels.add(c);
        }
        channels.add(channel(6, "kvp", "offered").put("handled", false));
        channels.add(channel(7, "kvp", "open").put("state", "closed"));
        JsonObject summary = rules.annotate(channels, new JsonObject(), NOW);
        assertEquals(6, summary.getInteger("attention"));
        assertEquals("7 channels, 6 need attention: heartbeat #1 inbound ring 91 % full; heartbeat #2 inbound ring 92 % full;"
                + " heartbeat #3 inbound ring 93 % full; and 3 more", summary.getString("text"));
        assertEquals("ok", health(channels, 6).getString("state"), "an offer with no handler is a note, not a problem");
        assertEquals("warning", health(channels, 7).getString("state"));
    }

    @Test
    void aHandlerThatDoesNotAnswerMakesItsDeviceCritical() {
        JsonObject devices = devices().put("kvp", new JsonObject().put("error", "Timed out after waiting 2000(ms)"));
        rules.annotate(six(), devices, NOW);
        JsonObject h = devices.getJsonObject("kvp").getJsonObject("health");
        assertEquals("critical", h.getString("state"));
        assertTrue(h.getString("summary").startsWith("kvp handler does not answer"), h.encode());
        assertFalse(devices.getJsonObject("heartbeat").getJsonObject("health").containsKey("summary"));
    }

    /** A plug-in the dashboard has never heard of: misses pings on channel 7, and says so through its hook. */
    static class PingPlugin implements DevicePlugin<NoSettings> {
        @Override
        public String name() {
            return "ping";
        }

        @Override
        public List<UUID> classIds() {
            return List.of(UUID.fromString("6a2d8c2e-4d2b-4c0e-9a58-0f6d3b1c2a77"));
        }

        @Override
        public NoSettings settings(DeviceContext context) {
            return NoSettings.of(context);
        }

        @Override
        public Device device(NoSettings settings, DeviceContext context) {
            return packet -> Future.succeededFuture(Reply.none());
        }

        @Override
        public List<DeviceProblem> health(JsonObject state, HealthCheck check) {
            if (state.getBoolean("broken", false)) {
                throw new IllegalStateException("no misses field");
            }
            List<DeviceProblem> out = new ArrayList<>();
            check.openChannels().forEach((relid, label) -> out.add(new DeviceProblem(relid, "ping_missed",
                    DeviceProblem.Severity.WARNING, label + ": " + state.getInteger("misses") + " pings missed")));
            out.add(new DeviceProblem(42, "ping_ghost", DeviceProblem.Severity.CRITICAL, "ping #42 is not open"));
            out.add(new DeviceProblem(DeviceProblem.DEVICE, "ping_pool", DeviceProblem.Severity.NOTE,
                    "ping: pool at " + check.thresholds().ringFillPercent() + " %"));
            return out;
        }
    }

    @Test
    void aPlugInsHealthHookIsShownOnItsOpenChannelsAndItsDeviceLikeABuiltIns() {
        HealthRules withPing = new HealthRules(new VmbusConfig.Health(1000, 3000, 80, 10, 5000, 2000, 4000),
                Map.of("ping", new PingPlugin()));
        JsonArray channels = new JsonArray().add(channel(7, "ping", "open")).add(channel(8, "ping", "offered"));
        JsonObject devices = new JsonObject().put("ping", new JsonObject().put("misses", 3));
        JsonObject summary = withPing.annotate(channels, devices, NOW);

        JsonObject seven = health(channels, 7);
        assertEquals("warning", seven.getString("state"));
        assertEquals("ping #7: 3 pings missed", seven.getString("summary"), "labelled as the dashboard labels it");
        assertEquals(1, seven.getJsonArray("problems").size(), "only its own channel's problem: " + seven);
        assertEquals("2 channels, 1 needs attention: ping #7: 3 pings missed", summary.getString("text"));
        JsonArray problems = devices.getJsonObject("ping").getJsonObject("health").getJsonArray("problems");
        assertEquals(2, problems.size(), "the open channel's and the device's; not one for a channel not open: " + problems);
        assertEquals("ping_missed", problems.getJsonObject(0).getString("code"));
        assertEquals("note", problems.getJsonObject(1).getString("level"));
        assertEquals("ping: pool at 80.0 %", problems.getJsonObject(1).getString("text"), "judged against the thresholds");
    }

    @Test
    void aHealthHookThatThrowsIsItselfAProblemAndTheViewStillComes() {
        HealthRules withPing = new HealthRules(HEALTH, Map.of("ping", new PingPlugin()));
        JsonArray channels = new JsonArray().add(channel(7, "ping", "open"));
        JsonObject devices = new JsonObject().put("ping", new JsonObject().put("broken", true));
        withPing.annotate(channels, devices, NOW);
        assertEquals("ok", health(channels, 7).getString("state"));
        JsonObject h = devices.getJsonObject("ping").getJsonObject("health");
        assertEquals("warning", h.getString("state"));
        assertEquals("ping could not judge its health: no misses field", h.getString("summary"));
    }
}
