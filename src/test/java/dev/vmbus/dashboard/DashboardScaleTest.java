package dev.vmbus.dashboard;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 256 channels (the six ICs and {@code host.extraHeartbeats: 250}) with a live-stream client open: every
 * heartbeat is answered, and the API answers complete (every channel with stats, health and rates; the
 * stream's snapshots too; history for every channel). Behaviour only; the timing figures are in
 * docs/benchmarks/dashboard.md from {@code DashboardScaleBench}.
 */
class DashboardScaleTest {
    static final int CHANNELS = 256;

    @TempDir
    static Path dir;
    static TestAgent agent;
    static DashboardClient h;

    @BeforeAll
    static void start() throws Exception {
        agent = new DashboardAgentConfig(dir, CHANNELS - 6, 500, 500, VmbusConfig.Health.DEFAULTS).start();
        h = DashboardClient.open(agent, CHANNELS);
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void everyHeartbeatIsAnsweredAndEveryAnswerIsComplete() throws Exception {
        try (SseStream stream = new SseStream(h.base() + "/api/stream")) {
            JsonObject snapshot = stream.next("snapshot", Duration.ofSeconds(10), s -> true);
            assertEquals(CHANNELS, snapshot.getJsonArray("channels").size());
            // a few heartbeat rounds on every channel, with the stream open
            await().atMost(Duration.ofSeconds(30)).until(() -> hostHeartbeats().stream()
                    .allMatch(d -> d.getLong("replies") >= 4));
            for (JsonObject d : hostHeartbeats()) {
                assertEquals(0, d.getLong("misses"), d.encode());
                assertEquals("healthy", d.getString("health"), d.encode());
            }
            assertEquals(CHANNELS - 5, hostHeartbeats().size());

            JsonObject last = stream.next("snapshot", Duration.ofSeconds(10), s -> true);
            assertEquals(CHANNELS, last.getJsonArray("channels").size());
            assertTrue(last.getJsonObject("summary").getString("text").startsWith(CHANNELS + " channels"), last.getJsonObject("summary").encode());
        }
        JsonArray channels = new JsonArray(h.get("/api/channels").body());
        assertEquals(CHANNELS, channels.size());
        Set<Integer> relids = channels.stream().map(JsonObject.class::cast).map(c -> c.getInteger("relid")).collect(Collectors.toSet());
        assertEquals(CHANNELS, relids.size());
        for (int i = 0; i < channels.size(); i++) {
            JsonObject c = channels.getJsonObject(i);
            assertEquals("open", c.getString("state"), c.encode());
            assertNotNull(c.getJsonObject("stats"), c.encode());
            assertEquals("ok", c.getJsonObject("health").getString("state"), c.encode());
            assertNotNull(c.getJsonObject("rates"), c.encode());
        }
        JsonObject history = new JsonObject(h.get("/api/history").body());
        assertEquals(CHANNELS, history.getJsonArray("relids").size());
        String metrics = h.get("/metrics").body();
        assertEquals(CHANNELS, metrics.lines().filter(l -> l.startsWith("vmbus_channel_health_state{")).count());
    }

    private static java.util.List<JsonObject> hostHeartbeats() throws Exception {
        JsonObject host = new JsonObject(h.get("/api/host").body());
        return host.getJsonArray("devices").stream().map(JsonObject.class::cast)
                .filter(d -> "heartbeat".equals(d.getString("device"))).toList();
    }
}
