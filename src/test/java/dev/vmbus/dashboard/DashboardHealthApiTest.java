package dev.vmbus.dashboard;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Health, rates, drill-down and history through the API and {@code /metrics} of the whole agent on the sim
 * transport, with channels made unhealthy through the simulated host's knobs and healed by a re-offer.
 */
class DashboardHealthApiTest {
    @TempDir
    Path dir;
    TestAgent agent;
    DashboardClient h;

    @BeforeEach
    void start() throws Exception {
        // two extra heartbeat channels (relids 7 and 8) to break without touching the six ICs
        DashboardAgentConfig setup = new DashboardAgentConfig(dir, 2, 100, 200,
                new VmbusConfig.Health(600, 1200, 80, 100, 30_000, 60_000, 60_000));
        agent = setup.start();
        h = DashboardClient.open(agent, setup.channelCount());
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    /** Waits until the channel is listed again with health ok; says what it was otherwise. */
    private void awaitOk(int relid) throws Exception {
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> "ok".equals(state(relid)));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("channel " + relid + " did not become healthy: " + h.get("/api/channels/" + relid).body()
                    + " host: " + h.get("/api/host").body(), e);
        }
    }

    private JsonObject channel(int relid) throws Exception {
        HttpResponse<String> r = h.get("/api/channels/" + relid);
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body());
    }

    /** The channel's health state, or "absent" while it is not listed (between rescind and offer). */
    private String state(int relid) throws Exception {
        HttpResponse<String> r = h.get("/api/channels/" + relid);
        return r.statusCode() == 404 ? "absent" : new JsonObject(r.body()).getJsonObject("health").getString("state");
    }

    @Test
    void allHealthyAtFirstEverywhere() throws Exception {
        JsonArray all = new JsonArray(h.get("/api/channels").body());
        assertEquals(8, all.size());
        all.forEach(o -> assertEquals("ok", ((JsonObject) o).getJsonObject("health").getString("state"), o.toString()));
        JsonObject health = new JsonObject(h.get("/api/health").body());
        assertEquals("8 channels, all healthy", health.getJsonObject("summary").getString("text"));
        assertEquals("ok", health.getJsonObject("devices").getJsonObject("heartbeat").getString("state"));
        JsonObject devices = new JsonObject(h.get("/api/devices").body());
        assertEquals("ok", devices.getJsonObject("kvp").getJsonObject("health").getString("state"));
        String metrics = h.get("/metrics").body();
        assertEquals(0.0, Exposition.value(metrics, "vmbus_channel_health_state", "relid", "8", "class", "heartbeat"), metrics);
        assertEquals(0.0, Exposition.value(metrics, "vmbus_device_health_state", "device", "vss"), metrics);
        assertNotNull(Exposition.value(metrics, "vmbus_heartbeat_age_seconds", "relid", "7"), metrics);
        assertEquals(0.0, Exposition.value(metrics, "vmbus_vss_frozen"), metrics);
    }

    @Test
    void aFaultIsCriticalWithItsReasonAndAReofferHealsIt() throws Exception {
        assertEquals(200, h.act("inject-fault", new JsonObject().put("relid", 5)).statusCode());
        await().atMost(Duration.ofSeconds(10)).until(() -> "critical".equals(state(5)));
        JsonObject c = channel(5);
        String summary = c.getJsonObject("health").getString("summary");
        assertTrue(summary.startsWith("vss faulted: "), summary);
        JsonObject all = new JsonObject(h.get("/api/health").body()).getJsonObject("summary");
        assertEquals("8 channels, 1 needs attention: " + summary, all.getString("text"));
        assertEquals("critical", all.getString("state"));
        String metrics = h.get("/metrics").body();
        assertEquals(2.0, Exposition.value(metrics, "vmbus_channel_health_state", "relid", "5", "class", "vss"), metrics);
        assertEquals(1.0, Exposition.value(metrics, "vmbus_channel_problem", "relid", "5", "class", "vss", "problem", "faulted"), metrics);

        assertEquals(200, h.act("reoffer", new JsonObject().put("relid", 5)).statusCode());
        awaitOk(5);
    }

    @Test
    void aStoppedHeartbeatIsLateThenLostAndAReofferHealsIt() throws Exception {
        assertEquals(200, h.act("stop-heartbeat", new JsonObject().put("relid", 7)).statusCode());
        await().atMost(Duration.ofSeconds(10)).until(() -> !"ok".equals(state(7)));
        await().atMost(Duration.ofSeconds(10)).until(() -> "critical".equals(state(7)));
        assertTrue(channel(7).getJsonObject("health").getString("summary").startsWith("heartbeat #7 lost: no heartbeat for"));
        assertEquals("ok", state(8), "the other heartbeat channel still beats");
        JsonObject devices = new JsonObject(h.get("/api/devices").body());
        assertEquals("critical", devices.getJsonObject("heartbeat").getJsonObject("health").getString("state"));

        assertEquals(200, h.act("reoffer", new JsonObject().put("relid", 7)).statusCode());
        awaitOk(7);
    }

    @Test
    void aRingFilledWhileTheHostDoesNotReadIsAWarning() throws Exception {
        assertEquals(200, h.act("delay", new JsonObject().put("relid", 8).put("ms", 600_000)).statusCode());
        assertEquals(200, h.act("flood", new JsonObject().put("relid", 8).put("packets", 2000)).statusCode());
        await().atMost(Duration.ofSeconds(10)).until(() -> channel(8).getJsonObject("health").getJsonArray("problems")
                .stream().map(JsonObject.class::cast).anyMatch(p -> "ring_full".equals(p.getString("code"))));
        JsonObject c = channel(8);
        // Which ring fills first is the scheduler's: the guest's answers fill its outbound ring while the host does
        // not read, and the host's flood then fills the inbound one the guest stops draining. The ring the summary
        // names must be the full one.
        java.util.regex.Matcher summary = java.util.regex.Pattern.compile("heartbeat #8 (inbound|outbound) ring \\d+ % full")
                .matcher(c.getJsonObject("health").getString("summary"));
        assertTrue(summary.matches(), c.getJsonObject("health").encode());
        assertTrue(c.getJsonObject("stats").getJsonObject(summary.group(1)).getDouble("fillPercent") > 80, c.encode());
        assertEquals(200, h.act("reoffer", new JsonObject().put("relid", 8)).statusCode());
        awaitOk(8);
    }

    @Test
    void drillDownHasRatesVersionsAndTheDevicesView() throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            JsonObject rates = channel(1).getJsonObject("rates");
            return rates != null && rates.getDouble("packetsIn") != null && rates.getDouble("packetsIn") > 0;
        });
        JsonObject c = channel(1);
        assertEquals(History.COUNTERS.length, c.getJsonObject("rates").size());
        JsonObject device = c.getJsonObject("device");
        assertEquals("heartbeat", device.getString("name"));
        assertEquals(1, device.getJsonObject("channel").getInteger("relid"));
        assertNotNull(device.getJsonObject("channel").getString("serviceVersion"));
        assertEquals("ok", device.getJsonObject("health").getString("state"));
    }

    /**
     * The idle cost: history is recorded from the snapshot the agent publishes on {@code vmbus.stats}, so while nobody
     * calls the API the dashboard takes no snapshot of its own ({@code vmbus.stats.now} stays unasked).
     */
    @Test
    void historyIsRecordedFromTheAgentsPublishedSnapshotsWithoutASecondOne() throws Exception {
        java.util.concurrent.atomic.AtomicInteger published = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        agent.vertx().eventBus().addOutboundInterceptor(ctx -> {
            String address = ctx.message().address();
            if (address.equals(dev.vmbus.bus.Addresses.STATS)) {
                published.incrementAndGet();
            } else if (address.equals(dev.vmbus.bus.Addresses.STATS_NOW)) {
                asked.incrementAndGet();
            }
            ctx.next();
        });
        // Until the agent's first publication the dashboard's own timer stands in; from then on it must not.
        await().atMost(Duration.ofSeconds(10)).until(() -> published.get() >= 1);
        asked.set(0);
        published.set(0);
        int before = new JsonObject(h.get("/api/history").body()).getJsonObject("totals").getJsonArray("t").size();
        await().atMost(Duration.ofSeconds(10)).until(() -> published.get() >= 6);
        int after = new JsonObject(h.get("/api/history").body()).getJsonObject("totals").getJsonArray("t").size();
        assertTrue(after - before >= 4, "history grew by " + (after - before) + " points over " + published.get()
                + " published snapshots");
        assertEquals(0, asked.get(), "the dashboard took snapshots of its own while the agent published");
    }

    @Test
    void historyKeepsPointsPerChannelAndTheOffset() throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() ->
                new JsonObject(h.get("/api/history").body()).getJsonObject("totals").getJsonArray("t").size() >= 5);
        JsonObject all = new JsonObject(h.get("/api/history").body());
        assertEquals(200, all.getLong("intervalMs"));
        assertTrue(all.getInteger("capacity") >= 10 * 60 * 1000 / 200, all.encode());
        JsonObject totals = all.getJsonObject("totals");
        for (String series : History.SERIES) {
            assertEquals(totals.getJsonArray("t").size(), totals.getJsonArray(series).size(), series);
        }
        assertTrue(all.getJsonArray("relids").contains(8), all.encode());
        await().atMost(Duration.ofSeconds(10)).until(() -> new JsonObject(h.get("/api/history").body())
                .getJsonObject("timesync").getJsonArray("offsetMs").stream().anyMatch(v -> v != null));

        JsonObject one = new JsonObject(h.get("/api/history/1").body());
        long last = one.getJsonArray("t").getLong(one.getJsonArray("t").size() - 1);
        JsonObject newer = new JsonObject(h.get("/api/history/1?since=" + last).body());
        assertTrue(newer.getJsonArray("t").stream().allMatch(t -> ((Number) t).longValue() > last), newer.encode());

        assertEquals(404, h.get("/api/history/99").statusCode());
        HttpResponse<String> bad = h.get("/api/history?since=yesterday");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("since must be epoch milliseconds"), bad.body());
    }
}
